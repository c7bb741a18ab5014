"""Instanced OpenGL rendering of a network from NumPy arrays (knows nothing of MNIST or training).

layout            where neurons sit (pure NumPy)
camera, picking   view/projection matrices, presets, mouse rays, ray–sphere picking
colormaps         lookup tables for weights and activations
network_renderer  the two draw calls: sphere impostors and weight lines
offscreen         EGL context, multisampled offscreen target, render_network_image()
image_io          PNG output
"""
