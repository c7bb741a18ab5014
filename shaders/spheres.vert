#version 330 core
// One camera-facing quad per neuron (nnviz/engine/quads.py: no vertex data): the
// fragment shader ray-casts the sphere inside it, plus the rings around it.
#include "engine_common.glsl"

uniform mat4 u_view;
uniform mat4 u_projection;

uniform sampler2D u_neuron_state;     // RGBA32F per neuron: colour position, size factor, bias, heatmap value
uniform sampler2D u_weight_cmap;
uniform sampler2D u_activation_cmap;
uniform int u_input_count;            // neurons [0, u_input_count) form the input layer
uniform int u_neuron_diverging;       // 1: colour positions are signed values on the weight map (error signals)
uniform int u_use_heatmap;
uniform float u_heatmap_scale;
uniform int u_show_biases;
uniform float u_bias_scale;
uniform int u_selected;               // neuron indices, -1 for none
uniform int u_hovered;
uniform int u_predicted;
uniform int u_true;
uniform vec3 u_background;

const vec3 INPUT_BRIGHT = vec3(1.0, 1.0, 1.0);
const vec3 RIGHT_GREEN = vec3(0.30, 0.90, 0.40);
const vec3 WRONG_RED = vec3(1.00, 0.28, 0.22);
const vec3 SELECTED_WHITE = vec3(0.95, 0.97, 1.00);
const vec3 PREDICTED_AMBER = vec3(1.00, 0.78, 0.30);  // prediction with no known true class
// Quads are SPHERE_EXTENT, INNER_RING_EXTENT or OUTER_RING_EXTENT layout
// radii in half-size (#defined by nnviz/engine/rules.py): fitting the quad to
// what a neuron shows saves most of the fragment work on the 784 ring-less
// input spheres.

out vec3 v_view_position;             // this corner of the quad, view space
flat out vec3 v_center;               // sphere centre, view space
flat out float v_radius;              // drawn radius: grows a little with activation
flat out float v_ring_unit;           // layout radius: rings keep their size whatever the activation
flat out vec3 v_color;                // sRGB base colour
flat out vec4 v_inner_ring;           // rgb, a = 1 when drawn (bias)
flat out vec4 v_outer_ring;           // rgb, a = 1 when drawn (label, selection)
flat out float v_outer_dashed;
flat out float v_glow;                // selection / hover highlight strength

void main() {
    int neuron = quad_index();
    bool is_input = neuron < u_input_count;
    vec4 position_radius = fetch_vec4(u_neurons, neuron);
    vec4 state = fetch_vec4(u_neuron_state, neuron);
    float position = state.x;              // colour-map position (pixel intensity for inputs)

    if (is_input && u_use_heatmap != 0) {
        float weight = state.w;
        // Weak weights fade to the unlit input colour, as weak lines fade out:
        // only what the neuron really looks for stands out.
        float strength = clamp(abs(weight) / max(u_heatmap_scale, 1e-12), 0.0, 1.0);
        v_color = mix(INPUT_DARK, colormap(u_weight_cmap, diverging_position(weight, u_heatmap_scale)), strength);
    } else if (is_input) {
        v_color = mix(INPUT_DARK, INPUT_BRIGHT, position);
    } else if (u_neuron_diverging != 0) {
        v_color = colormap(u_weight_cmap, position);
    } else {
        v_color = colormap(u_activation_cmap, position);
    }

    v_inner_ring = vec4(0.0);
    if (u_show_biases != 0 && !is_input) {
        float bias = state.z;
        float strength = clamp(abs(bias) / max(u_bias_scale, 1e-12), 0.0, 1.0);
        vec3 bias_color = colormap(u_weight_cmap, diverging_position(bias, u_bias_scale));
        // Subtle: weak biases fade into the background, and tiny ones are not drawn.
        v_inner_ring = vec4(mix(u_background, bias_color, 0.3 + 0.6 * strength), strength > 0.05 ? 1.0 : 0.0);
    }

    v_outer_ring = vec4(0.0);
    v_outer_dashed = 0.0;
    if (neuron == u_predicted) {
        vec3 verdict = u_true < 0 ? PREDICTED_AMBER : (u_predicted == u_true ? RIGHT_GREEN : WRONG_RED);
        v_outer_ring = vec4(verdict, 1.0);
    } else if (neuron == u_true) {
        v_outer_ring = vec4(RIGHT_GREEN, 1.0);
        v_outer_dashed = 1.0;       // shape, not only colour, tells the true class apart
    } else if (neuron == u_selected) {
        v_outer_ring = vec4(SELECTED_WHITE, 1.0);
    }
    v_glow = neuron == u_selected ? 1.0 : (neuron == u_hovered ? 0.5 : 0.0);

    v_ring_unit = position_radius.w;
    v_radius = position_radius.w * state.y;   // sizes are decided on the CPU, where picking uses them too
    v_center = (u_view * vec4(position_radius.xyz, 1.0)).xyz;
    // Quad perpendicular to the line of sight to the centre: the sphere's
    // silhouette then stays inside it at any angle from the view axis.
    vec3 facing = normalize(-v_center);
    vec3 right = normalize(cross(vec3(0.0, 1.0, 0.0), facing));
    vec3 up = cross(facing, right);
    int corner_id = quad_corner();
    vec2 corner = vec2(float(corner_id & 1), float(corner_id >> 1)) * 2.0 - 1.0;
    float extent = v_ring_unit * (v_outer_ring.a > 0.0 ? OUTER_RING_EXTENT : (v_inner_ring.a > 0.0 ? INNER_RING_EXTENT : SPHERE_EXTENT));
    v_view_position = v_center + (corner.x * right + corner.y * up) * extent;
    gl_Position = u_projection * vec4(v_view_position, 1.0);
}
