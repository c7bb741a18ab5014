#version 330 core
// Dear ImGui's triangles: positions in window pixels (y down), a texture
// coordinate into its atlas, and an 8-bit RGBA colour.
uniform vec2 u_display_size;

in vec2 in_position;
in vec2 in_uv;
in vec4 in_color;

out vec2 v_uv;
out vec4 v_color;

void main() {
    v_uv = in_uv;
    v_color = in_color;
    vec2 ndc = in_position / u_display_size * 2.0 - 1.0;
    gl_Position = vec4(ndc.x, -ndc.y, 0.0, 1.0);
}
