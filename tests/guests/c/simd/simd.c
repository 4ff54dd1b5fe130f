// SIMD guest: built for wasm32-wasi with -msimd128 (auto-vectorised loops plus explicit
// wasm_simd128.h intrinsics) and natively (the same loops, the intrinsics replaced by a scalar
// reference with the same lane order). Both must print the same lines: see
// crates/wasp-cli/tests/c_simd.rs. Build both with -ffp-contract=off so that no a*b+c fuses.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N (4u << 20) // 4 MiB of bytes
#define W 1024u

static uint32_t rng = 0x12345678u;
static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static uint64_t fnv(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

// Auto-vectorised: a weighted byte checksum.
__attribute__((noinline)) static uint32_t checksum(const uint8_t *d, size_t n) {
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += (uint32_t)d[i] * (uint32_t)((i & 7) + 1);
    return s;
}

// Auto-vectorised: a 3x1 box blur of each row (bytes), edges copied.
__attribute__((noinline)) static void blur(const uint8_t *in, uint8_t *out, size_t w, size_t h) {
    for (size_t y = 0; y < h; y++) {
        const uint8_t *r = in + y * w;
        uint8_t *o = out + y * w;
        o[0] = r[0];
        o[w - 1] = r[w - 1];
        for (size_t x = 1; x + 1 < w; x++)
            o[x] = (uint8_t)((r[x - 1] + 2 * r[x] + r[x + 1] + 2) >> 2);
    }
}

// Auto-vectorised: element-wise float work (no reduction, so no reordering).
__attribute__((noinline)) static void saxpy(float *y, const float *x, float a, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

// Auto-vectorised: i16 max and i32 min/abs.
__attribute__((noinline)) static int32_t minmax(const int16_t *a, size_t n) {
    int16_t mx = -32768;
    int32_t mn = 2147483647;
    for (size_t i = 0; i < n; i++) {
        mx = a[i] > mx ? a[i] : mx;
        int32_t v = (int32_t)a[i] * 3;
        v = v < 0 ? -v : v;
        mn = v < mn ? v : mn;
    }
    return mx * 65536 + mn;
}

// Explicit: a float dot product in four lanes, summed lane 0..3 at the end.
__attribute__((noinline)) static float dot(const float *a, const float *b, size_t n) {
#ifdef __wasm_simd128__
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (size_t i = 0; i < n; i += 4)
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    float l[4];
    wasm_v128_store(l, acc);
#else
    float l[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i += 4)
        for (int k = 0; k < 4; k++) l[k] = l[k] + a[i + k] * b[i + k];
#endif
    return ((l[0] + l[1]) + l[2]) + l[3];
}

// Explicit: i32x4.dot_i16x8_s, accumulated with wrapping adds.
__attribute__((noinline)) static uint32_t idot(const int16_t *a, const int16_t *b, size_t n) {
    uint32_t s[4] = {0, 0, 0, 0};
#ifdef __wasm_simd128__
    v128_t acc = wasm_i32x4_splat(0);
    for (size_t i = 0; i < n; i += 8)
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    wasm_v128_store(s, acc);
#else
    for (size_t i = 0; i < n; i += 8)
        for (int k = 0; k < 4; k++)
            s[k] += (uint32_t)((int32_t)a[i + 2 * k] * b[i + 2 * k] +
                               (int32_t)a[i + 2 * k + 1] * b[i + 2 * k + 1]);
#endif
    return s[0] ^ (s[1] * 3) ^ (s[2] * 5) ^ (s[3] * 7);
}

// Explicit: byte tricks (saturating add, swizzle, popcnt, bitmask, narrow), folded into a hash.
__attribute__((noinline)) static uint64_t bytes(const uint8_t *d, size_t n) {
    uint64_t h = 0;
    for (size_t i = 0; i + 32 <= n; i += 32) {
        uint8_t out[16];
        uint32_t mask;
#ifdef __wasm_simd128__
        v128_t x = wasm_v128_load(d + i), y = wasm_v128_load(d + i + 16);
        v128_t sum = wasm_u8x16_add_sat(x, y);
        v128_t idx = wasm_v128_and(y, wasm_i8x16_splat(0x1f)); // 16..31 select 0
        v128_t sw = wasm_i8x16_swizzle(sum, idx);
        v128_t pc = wasm_i8x16_popcnt(x);
        v128_t nar = wasm_u8x16_narrow_i16x8(wasm_i16x8_sub(x, y), pc);
        wasm_v128_store(out, wasm_v128_xor(sw, nar));
        mask = (uint32_t)wasm_i8x16_bitmask(sum) | (wasm_v128_any_true(pc) ? 0x10000u : 0);
#else
        uint8_t sum[16], pc[16];
        int16_t diff[8], pc16[8];
        for (int k = 0; k < 16; k++) {
            unsigned s = (unsigned)d[i + k] + d[i + 16 + k];
            sum[k] = s > 255 ? 255 : (uint8_t)s;
            pc[k] = (uint8_t)__builtin_popcount(d[i + k]);
        }
        for (int k = 0; k < 8; k++) {
            uint16_t xs = (uint16_t)(d[i + 2 * k] | d[i + 2 * k + 1] << 8);
            uint16_t ys = (uint16_t)(d[i + 16 + 2 * k] | d[i + 16 + 2 * k + 1] << 8);
            diff[k] = (int16_t)(uint16_t)(xs - ys);
            pc16[k] = (int16_t)(pc[2 * k] | pc[2 * k + 1] << 8);
        }
        mask = 0;
        int any = 0;
        for (int k = 0; k < 16; k++) {
            unsigned j = d[i + 16 + k] & 0x1f;
            uint8_t s = j < 16 ? sum[j] : 0;
            int16_t v = k < 8 ? diff[k] : pc16[k - 8];
            uint8_t nv = v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
            out[k] = s ^ nv;
            mask |= (uint32_t)(sum[k] >> 7) << k;
            any |= pc[k];
        }
        if (any) mask |= 0x10000u;
#endif
        h = h * 31 + fnv(out, 16) + mask;
    }
    return h;
}

// Explicit: float lanes (sqrt, min, max, saturating truncation), folded into a hash.
__attribute__((noinline)) static uint64_t floats(const float *a, size_t n) {
    uint64_t h = 0;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        int32_t r[4];
#ifdef __wasm_simd128__
        v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(a + i + 4);
        v128_t m = wasm_f32x4_max(wasm_f32x4_min(x, y), wasm_f32x4_splat(-1e9f));
        v128_t s = wasm_f32x4_sqrt(wasm_f32x4_abs(m));
        v128_t t = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_mul(s, wasm_f32x4_splat(1e6f)));
        wasm_v128_store(r, t);
#else
        for (int k = 0; k < 4; k++) {
            float x = a[i + k], y = a[i + 4 + k];
            float m = x < y ? x : y;
            m = m > -1e9f ? m : -1e9f;
            float s = sqrtf(fabsf(m)) * 1e6f;
            r[k] = s >= 2147483648.0f ? 2147483647 : (int32_t)s;
        }
#endif
        h = h * 131 + fnv(r, sizeof r);
    }
    return h;
}

int main(void) {
    uint8_t *d = malloc(N), *o = malloc(N);
    float *fx = malloc(N), *fy = malloc(N);
    int16_t *s = malloc(N), *t = malloc(N);
    if (!d || !o || !fx || !fy || !s || !t) return 1;
    for (size_t i = 0; i < N; i++) d[i] = (uint8_t)next();
    size_t nf = N / sizeof(float), ns = N / sizeof(int16_t);
    for (size_t i = 0; i < nf; i++) {
        fx[i] = (float)(int32_t)(next() % 2001u - 1000u) / 64.0f;
        fy[i] = (float)(int32_t)(next() % 2001u - 1000u) / 32.0f;
    }
    for (size_t i = 0; i < ns; i++) {
        s[i] = (int16_t)next();
        t[i] = (int16_t)next();
    }

    printf("checksum %08x\n", (unsigned)checksum(d, N));
    blur(d, o, W, N / W);
    printf("blur %016llx\n", (unsigned long long)fnv(o, N));
    saxpy(fy, fx, 0.75f, nf);
    printf("saxpy %016llx\n", (unsigned long long)fnv(fy, N));
    printf("minmax %d\n", minmax(s, ns));
    float dp = dot(fx, fy, nf);
    uint32_t dbits;
    memcpy(&dbits, &dp, 4);
    printf("dot %08x %.3f\n", (unsigned)dbits, (double)dp);
    printf("idot %08x\n", (unsigned)idot(s, t, ns));
    printf("bytes %016llx\n", (unsigned long long)bytes(d, N));
    printf("floats %016llx\n", (unsigned long long)floats(fy, nf));
    return 0;
}
