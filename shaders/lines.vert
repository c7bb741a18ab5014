#version 330 core
// One screen-space quad per visible line (instanced, no vertex buffers).
// Which lines are visible, and which neurons each joins, come from textures
// filled by nnviz/engine/network_renderer.py: the shader assumes no topology.
#include "engine_common.glsl"

uniform mat4 u_view_projection;                     // view then projection, multiplied once per frame on the CPU

uniform isampler2D u_visible_lines;                 // R32I: the lines to draw, one per instance (culled on the CPU)
uniform isampler2D u_line_endpoints;                // RGBA32I per line: source neuron, target neuron, weight matrix
uniform sampler2D u_line_values;                    // R32F per line: the value that colours it (weight, change, ...)
uniform sampler2D u_weight_cmap;
uniform float u_weight_scale[MAX_LAYERS - 1];       // |value| drawn at full colour and opacity, per matrix
uniform float u_layer_gain[MAX_LAYERS - 1];         // opacity of a full-scale line, lower for dense matrices
uniform int u_selected;                             // neuron index, -1 for none
uniform float u_selected_fan_in;                    // lines ending / starting at the selected neuron
uniform float u_selected_fan_out;
uniform vec2 u_viewport_size;                       // pixels
uniform float u_line_width;                         // pixels, for a full-scale line

const float NEAR_W = 1e-3;              // clip-space w below which a point is behind the camera
const float FEATHER = 0.5;              // pixels beyond the edge: lines.frag ramps coverage over edge +-0.5 px
const float MIN_WIDTH = 1.0;            // thinner lines fade instead of vanishing between pixels
const float SELECTED_DIM = 0.08;        // opacity factor for lines not touching the selection
// A selected neuron's lines all meet at it: a fan of n lines gets opacity
// SELECTED_GAIN / sqrt(n) (at most 1), and weak ones fade with |w|^2 as
// elsewhere, so 784 incoming lines stay readable instead of adding to a glare.
const float SELECTED_GAIN = 6.0;
// An 8-bit framebuffer rounds additive contributions below ~1/510 to zero, so
// the faint lines of dense layers would vanish however many overlap. Lines
// fainter than MIN_OPACITY are instead kept with probability
// opacity / MIN_OPACITY and drawn at MIN_OPACITY: the same expected light,
// and a per-line hash (not a per-frame random) keeps the choice stable.
const float MIN_OPACITY = 3.0 / 255.0;

noperspective out float v_across;       // pixels from the line's centre
flat out float v_half_width;
flat out vec4 v_color;                  // premultiplied

float line_hash(int line) {   // integer hash (Wang), uniform in [0, 1)
    uint h = uint(line);
    h = (h ^ 61u) ^ (h >> 16);
    h *= 9u;
    h = h ^ (h >> 4);
    h *= 0x27d4eb2du;
    h = h ^ (h >> 15);
    return float(h >> 8) / 16777216.0;
}

void cull() {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);   // all four corners equal: no area, nothing drawn
    v_across = 0.0;
    v_half_width = 0.0;
    v_color = vec4(0.0);
}

void main() {
    int line = fetch_ivec4(u_visible_lines, gl_InstanceID).x;
    ivec4 ends = fetch_ivec4(u_line_endpoints, line);
    int source = ends.x;
    int target = ends.y;
    int layer = ends.z;

    float weight = fetch_scalar(u_line_values, line);
    float strength = clamp(abs(weight) / max(u_weight_scale[layer], 1e-12), 0.0, 1.0);
    float opacity = u_layer_gain[layer] * strength * strength;   // weak weights fade out fast
    float width = u_line_width * (0.5 + 0.8 * strength);
    if (u_selected >= 0) {
        if (source == u_selected || target == u_selected) {
            float fan = target == u_selected ? u_selected_fan_in : u_selected_fan_out;
            opacity = (0.04 + 0.96 * strength * strength) * min(1.0, SELECTED_GAIN * inversesqrt(fan));
            width *= 1.4;
        } else {
            opacity *= SELECTED_DIM;
        }
    }
    // Lines thinner than a pixel are drawn one pixel wide and proportionally fainter.
    float drawn_width = max(width, MIN_WIDTH);
    opacity *= width / drawn_width;
    if (opacity < MIN_OPACITY) {
        if (line_hash(line) * MIN_OPACITY >= opacity) { cull(); return; }
        opacity = MIN_OPACITY;
    }

    vec4 a = u_view_projection * vec4(fetch_vec4(u_neurons, source).xyz, 1.0);
    vec4 b = u_view_projection * vec4(fetch_vec4(u_neurons, target).xyz, 1.0);
    // Clip the segment against the near plane before dividing by w.
    if (a.w < NEAR_W && b.w < NEAR_W) { cull(); return; }
    if (a.w < NEAR_W) a = mix(a, b, (NEAR_W - a.w) / (b.w - a.w));
    if (b.w < NEAR_W) b = mix(b, a, (NEAR_W - b.w) / (a.w - b.w));

    vec2 half_viewport = 0.5 * u_viewport_size;
    vec2 a_px = a.xy / a.w * half_viewport;
    vec2 b_px = b.xy / b.w * half_viewport;
    vec2 along = b_px - a_px;
    float length_px = length(along);
    along = length_px > 1e-4 ? along / length_px : vec2(1.0, 0.0);
    vec2 normal = vec2(-along.y, along.x);

    float half_extent = 0.5 * drawn_width + FEATHER;

    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1) * 2.0 - 1.0);
    vec4 end = corner.x < 0.5 ? a : b;
    end.xy += normal * corner.y * half_extent / half_viewport * end.w;
    gl_Position = end;
    v_across = corner.y * half_extent;
    v_half_width = 0.5 * drawn_width;
    vec3 rgb = colormap(u_weight_cmap, diverging_position(weight, u_weight_scale[layer]));
    v_color = vec4(rgb * opacity, opacity);
}
