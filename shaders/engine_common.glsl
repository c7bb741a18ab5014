// Shared by spheres.vert and lines.vert (included by nnviz.engine.shader_library).
// Everything per neuron or per weight lives in float textures indexed
// linearly (nnviz/engine/gpu_arrays.py), so draws need no vertex buffers.

#define MAX_LAYERS 16

uniform int u_layer_count;                    // neuron layers in the network
uniform int u_layer_offsets[MAX_LAYERS + 1];  // first neuron of each layer, then the total
uniform sampler2D u_neurons;                  // RGBA32F: xyz world position, w radius

ivec2 linear_texel(sampler2D values, int index) {
    int width = textureSize(values, 0).x;
    return ivec2(index % width, index / width);
}

float fetch_scalar(sampler2D values, int index) {
    return texelFetch(values, linear_texel(values, index), 0).r;
}

vec4 fetch_vec4(sampler2D values, int index) {
    return texelFetch(values, linear_texel(values, index), 0);
}

int layer_of_neuron(int neuron) {
    int layer = 0;
    for (int k = 1; k < MAX_LAYERS; ++k) {
        if (k >= u_layer_count) break;
        if (neuron >= u_layer_offsets[k]) layer = k;
    }
    return layer;
}

// t in [0, 1] sampled at texel centres, matching colormaps.sample() in Python.
vec3 colormap(sampler2D table, float t) {
    float size = float(textureSize(table, 0).x);
    float u = (clamp(t, 0.0, 1.0) * (size - 1.0) + 0.5) / size;
    return texture(table, vec2(u, 0.5)).rgb;
}

// Signed weight -> diverging colour map position: scale maps to the ends.
float diverging_position(float value, float scale) {
    return 0.5 + 0.5 * clamp(value / max(scale, 1e-12), -1.0, 1.0);
}
