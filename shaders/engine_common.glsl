// Shared by spheres.vert and lines.vert (included by nnviz.engine.shader_library).
// Everything per neuron or per line lives in textures indexed linearly
// (nnviz/engine/gpu_arrays.py), so draws need no vertex data. Constants
// such as MAX_LAYERS and the ring bands are #defined by Python
// (nnviz/engine/rules.py) above this point.

uniform sampler2D u_neurons;                  // RGBA32F: xyz world position, w layout radius

// Quads drawn by nnviz/engine/quads.py (indexed, not instanced): which quad this vertex is a corner of,
// and which corner (0..3, in triangle-strip order).
int quad_index() {
    return gl_VertexID / QUAD_VERTICES;
}

int quad_corner() {
    return gl_VertexID % QUAD_VERTICES;
}

ivec2 linear_texel(int width, int index) {
    return ivec2(index % width, index / width);
}

float fetch_scalar(sampler2D values, int index) {
    return texelFetch(values, linear_texel(textureSize(values, 0).x, index), 0).r;
}

vec4 fetch_vec4(sampler2D values, int index) {
    return texelFetch(values, linear_texel(textureSize(values, 0).x, index), 0);
}

ivec4 fetch_ivec4(isampler2D values, int index) {
    return texelFetch(values, linear_texel(textureSize(values, 0).x, index), 0);
}

// t in [0, 1] sampled at texel centres, matching colormaps.sample() in Python.
vec3 colormap(sampler2D table, float t) {
    float size = float(textureSize(table, 0).x);
    float u = (clamp(t, 0.0, 1.0) * (size - 1.0) + 0.5) / size;
    return texture(table, vec2(u, 0.5)).rgb;
}

// Signed value -> diverging colour map position: scale maps to the ends.
float diverging_position(float value, float scale) {
    return 0.5 + 0.5 * clamp(value / max(scale, 1e-12), -1.0, 1.0);
}
