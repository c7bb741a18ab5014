#version 330 core
// One screen-space quad per visible line (nnviz/engine/quads.py: no vertex data).
// Which lines are visible, and which neurons each joins, come from textures
// filled by nnviz/engine/network_renderer.py: the shader assumes no topology.
#include "engine_common.glsl"

uniform mat4 u_view_projection;                     // view then projection, multiplied once per frame on the CPU

uniform isampler2D u_visible_lines;                 // R32I: the lines to draw, one per instance (chosen on the CPU)
uniform sampler2D u_line_style;                     // RG32F per instance: opacity, width in pixels
uniform isampler2D u_line_endpoints;                // RGBA32I per line: source neuron, target neuron, weight matrix
uniform sampler2D u_line_values;                    // R32F per line: the value that colours it (weight, change, ...)
uniform sampler2D u_weight_cmap;
uniform float u_weight_scale[MAX_LAYERS - 1];       // |value| drawn at full colour, per matrix
uniform vec2 u_viewport_size;                       // pixels

const float NEAR_W = 1e-3;              // clip-space w below which a point is behind the camera
const float FEATHER = 0.5;              // pixels beyond the edge: lines.frag ramps coverage over edge +-0.5 px

noperspective out float v_across;       // pixels from the line's centre
flat out float v_half_width;
flat out vec4 v_color;                  // premultiplied

void cull() {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);   // all four corners equal: no area, nothing drawn
    v_across = 0.0;
    v_half_width = 0.0;
    v_color = vec4(0.0);
}

void main() {
    // Which lines are drawn, how opaque and how wide, is decided on the CPU (rules.drawn_lines):
    // the vertex stage runs only for lines that will show.
    int drawn = quad_index();
    int line = fetch_ivec4(u_visible_lines, drawn).x;
    vec4 style = fetch_vec4(u_line_style, drawn);
    float opacity = style.x;
    float drawn_width = style.y;
    ivec4 ends = fetch_ivec4(u_line_endpoints, line);
    int source = ends.x;
    int target = ends.y;
    int layer = ends.z;
    float weight = fetch_scalar(u_line_values, line);

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

    int corner_id = quad_corner();
    vec2 corner = vec2(float(corner_id & 1), float(corner_id >> 1) * 2.0 - 1.0);
    vec4 end = corner.x < 0.5 ? a : b;
    end.xy += normal * corner.y * half_extent / half_viewport * end.w;
    gl_Position = end;
    v_across = corner.y * half_extent;
    v_half_width = 0.5 * drawn_width;
    vec3 rgb = colormap(u_weight_cmap, diverging_position(weight, u_weight_scale[layer]));
    v_color = vec4(rgb * opacity, opacity);
}
