#version 330 core
// Premultiplied colour, blended additively (ONE, ONE) by NetworkRenderer:
// addition is order-independent, so 12k overlapping lines neither flicker
// nor depend on sorting as the camera moves.

noperspective in float v_across;
flat in float v_half_width;
flat in vec4 v_color;

out vec4 frag_color;

void main() {
    float coverage = clamp(v_half_width + 0.5 - abs(v_across), 0.0, 1.0);
    frag_color = v_color * coverage;
}
