#version 330 core
// The scene drawn at a lower resolution, filtered up to the window's (bilinear, by the sampler).
uniform sampler2D u_scene;

in vec2 v_uv;
out vec4 frag_color;

void main() {
    frag_color = vec4(texture(u_scene, v_uv).rgb, 1.0);
}
