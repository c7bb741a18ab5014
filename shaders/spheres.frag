#version 330 core
// Ray-cast sphere impostor: exact silhouette, normal and depth per pixel, so
// spheres intersect each other and the weight lines correctly. Only the sphere
// itself writes depth: its anti-aliased rim and the rings around it are blended
// over what is behind (alpha = coverage) at the far plane's depth, so the lines
// drawn next pass behind them without a dark halo cut out of them.

uniform mat4 u_projection;

in vec3 v_view_position;
flat in vec3 v_center;
flat in float v_radius;
flat in float v_ring_unit;
flat in vec3 v_color;
flat in vec4 v_inner_ring;
flat in vec4 v_outer_ring;
flat in float v_outer_dashed;
flat in float v_glow;

out vec4 frag_color;

// Ring bands INNER_RING and OUTER_RING (layout radii from the centre) are
// #defined by nnviz/engine/rules.py, which also sizes the quads to cover them.
const int DASHES = 10;
// Just in front of the cleared depth (1.0): the depth test ("<") still lets rims and rings draw.
const float FAR_DEPTH = 0.99999;
// Key light from the upper left, fixed to the camera so every view is lit.
const vec3 KEY_LIGHT = normalize(vec3(-0.35, 0.5, 0.8));

vec3 to_linear(vec3 c) { return pow(c, vec3(2.2)); }
vec3 to_display(vec3 c) { return pow(c, vec3(1.0 / 2.2)); }

// Lighting in linear space: diffuse + ambient, a white specular highlight that
// makes spheres read as round, and a rim that separates them from the dark.
vec3 shade(vec3 base_srgb, vec3 normal, vec3 to_eye) {
    vec3 base = to_linear(base_srgb);
    float diffuse = max(dot(normal, KEY_LIGHT), 0.0);
    float specular = pow(max(dot(normal, normalize(KEY_LIGHT + to_eye)), 0.0), 40.0);
    // clamp, not max: dot() can exceed 1 by rounding at the centre, and pow() of a negative is NaN.
    float rim = pow(1.0 - clamp(dot(normal, to_eye), 0.0, 1.0), 3.0);
    vec3 lit = base * (0.22 + 0.78 * diffuse) + vec3(0.30) * specular;
    lit += (0.25 * base + vec3(0.9 * v_glow)) * rim + 0.12 * v_glow * base;
    return to_display(lit);
}

// Fraction of this pixel inside [band.x, band.y]: antialiases edges that
// `discard` would otherwise leave jagged (MSAA does not see per-pixel discards).
float band_coverage(float distance, vec2 band, float pixel) {
    return smoothstep(band.x - pixel, band.x + pixel, distance) * (1.0 - smoothstep(band.y - pixel, band.y + pixel, distance));
}

void main() {
    vec3 ray = normalize(v_view_position);
    float closest_t = dot(ray, v_center);
    vec3 closest = ray * closest_t;
    float miss_distance = length(closest - v_center);
    float miss = miss_distance / v_radius;               // 0 at the centre, 1 on the silhouette
    float pixel = max(fwidth(miss), 1e-4);

    vec3 color;
    float coverage;
    vec3 surface;
    if (miss < 1.0) {
        surface = ray * (closest_t - v_radius * sqrt(1.0 - miss * miss));
        vec3 normal = (surface - v_center) / v_radius;
        coverage = 1.0 - smoothstep(1.0 - 1.5 * pixel, 1.0, miss);   // antialiased silhouette
        color = shade(v_color, normal, -ray);
    } else {
        surface = closest;   // rings float in the plane through the centre
        float ring_distance = miss_distance / v_ring_unit;
        float ring_pixel = max(fwidth(ring_distance), 1e-4);
        float inner = v_inner_ring.a * band_coverage(ring_distance, INNER_RING, ring_pixel);
        float outer = v_outer_ring.a * band_coverage(ring_distance, OUTER_RING, ring_pixel);
        if (v_outer_dashed > 0.5) {
            vec3 offset = closest - v_center;
            float turn = atan(offset.y, offset.x) / 6.2831853 + 0.5;
            outer *= step(0.45, fract(turn * float(DASHES)));
        }
        if (max(inner, outer) < 0.02) discard;
        color = inner > outer ? v_inner_ring.rgb : v_outer_ring.rgb;
        coverage = max(inner, outer);
    }
    if (coverage < 0.5 || miss >= 1.0) {
        gl_FragDepth = FAR_DEPTH;   // rim and rings: seen, but hiding nothing drawn later
    } else {
        vec4 clip = u_projection * vec4(surface, 1.0);
        gl_FragDepth = 0.5 * (clip.z / clip.w) + 0.5;   // default glDepthRange(0, 1)
    }
    frag_color = vec4(color, coverage);
}
