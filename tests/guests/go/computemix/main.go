// Command computemix is the compute benchmark of BENCHMARKS.md's "Go programs by tier"
// (scripts/go-bench.sh): four kernels over deterministic data, each printing a checksum so that
// a wrong answer is visible.
//
// Usage: computemix [SCALE]   (default 16; the benchmark uses 16, the tests 1)
//
// With S = SCALE:
//   - sha256: SHA-256 of S * 256 KiB of bytes b[i] = byte(i*31 + i>>8), chained 4 times
//     (each round hashes the data with the previous digest as its first 32 bytes);
//   - sort: S * 64Ki uint32s from a xorshift32 generator (seed 2463534242), sort.Slice, then
//     FNV-1a 64 over the sorted values' little-endian bytes;
//   - maps: S * 16Ki inserts of key k -> k*7 for k = xorshift64 values mod (S * 32Ki), then
//     S * 64Ki lookups of keys 0, 1, 2, ... (mod S * 32Ki); counts hits and sums the found values;
//   - nbody: the five-body (sun and gas giants) simulation of the benchmarks game, S * 4000
//     steps of dt 0.01, energy printed with 9 decimals.
//
// Output (four lines):
//
//	sha256 <hex digest>
//	sort n=<count> min=<min> max=<max> fnv=<hex>
//	maps size=<len> hits=<hits> sum=<sum>
//	nbody steps=<steps> energy=<before> <after>
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
)

func sha(scale int) string {
	data := make([]byte, scale*256*1024)
	for i := range data {
		data[i] = byte(i*31 + i>>8)
	}
	var sum [32]byte
	for r := 0; r < 4; r++ {
		copy(data, sum[:])
		sum = sha256.Sum256(data)
	}
	return hex.EncodeToString(sum[:])
}

func sortInts(scale int) string {
	n := scale * 64 * 1024
	xs := make([]uint32, n)
	x := uint32(2463534242)
	for i := range xs {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		xs[i] = x
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	h := uint64(14695981039346656037)
	for _, v := range xs {
		for k := 0; k < 4; k++ {
			h ^= uint64(byte(v >> (8 * k)))
			h *= 1099511628211
		}
	}
	return fmt.Sprintf("n=%d min=%d max=%d fnv=%016x", n, xs[0], xs[n-1], h)
}

func maps(scale int) string {
	space := uint64(scale * 32 * 1024)
	m := make(map[uint64]uint64)
	x := uint64(88172645463325252)
	for i := 0; i < scale*16*1024; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		k := x % space
		m[k] = k * 7
	}
	hits, sum := 0, uint64(0)
	for i := 0; i < scale*64*1024; i++ {
		if v, ok := m[uint64(i)%space]; ok {
			hits++
			sum += v
		}
	}
	return fmt.Sprintf("size=%d hits=%d sum=%d", len(m), hits, sum)
}

type body struct{ x, y, z, vx, vy, vz, mass float64 }

const (
	solarMass   = 4 * math.Pi * math.Pi
	daysPerYear = 365.24
)

func bodies() []body {
	bs := []body{
		{0, 0, 0, 0, 0, 0, solarMass},
		{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
			1.66007664274403694e-03 * daysPerYear, 7.69901118419740425e-03 * daysPerYear,
			-6.90460016972063023e-05 * daysPerYear, 9.54791938424326609e-04 * solarMass},
		{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
			-2.76742510726862411e-03 * daysPerYear, 4.99852801234917238e-03 * daysPerYear,
			2.30417297573763929e-05 * daysPerYear, 2.85885980666130812e-04 * solarMass},
		{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
			2.96460137564761618e-03 * daysPerYear, 2.37847173959480950e-03 * daysPerYear,
			-2.96589568540237556e-05 * daysPerYear, 4.36624404335156298e-05 * solarMass},
		{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
			2.68067772490389322e-03 * daysPerYear, 1.62824170038242295e-03 * daysPerYear,
			-9.51592254519715870e-05 * daysPerYear, 5.15138902046611451e-05 * solarMass},
	}
	var px, py, pz float64
	for _, b := range bs {
		px += b.vx * b.mass
		py += b.vy * b.mass
		pz += b.vz * b.mass
	}
	bs[0].vx = -px / solarMass
	bs[0].vy = -py / solarMass
	bs[0].vz = -pz / solarMass
	return bs
}

func energy(bs []body) float64 {
	e := 0.0
	for i, b := range bs {
		e += 0.5 * b.mass * (b.vx*b.vx + b.vy*b.vy + b.vz*b.vz)
		for j := i + 1; j < len(bs); j++ {
			c := bs[j]
			dx, dy, dz := b.x-c.x, b.y-c.y, b.z-c.z
			e -= b.mass * c.mass / math.Sqrt(dx*dx+dy*dy+dz*dz)
		}
	}
	return e
}

//go:noinline
func advance(bs []body, dt float64) {
	for i := range bs {
		b := &bs[i]
		for j := i + 1; j < len(bs); j++ {
			c := &bs[j]
			dx, dy, dz := b.x-c.x, b.y-c.y, b.z-c.z
			d2 := dx*dx + dy*dy + dz*dz
			mag := dt / (d2 * math.Sqrt(d2))
			b.vx -= dx * c.mass * mag
			b.vy -= dy * c.mass * mag
			b.vz -= dz * c.mass * mag
			c.vx += dx * b.mass * mag
			c.vy += dy * b.mass * mag
			c.vz += dz * b.mass * mag
		}
	}
	for i := range bs {
		b := &bs[i]
		b.x += dt * b.vx
		b.y += dt * b.vy
		b.z += dt * b.vz
	}
}

func nbody(scale int) string {
	bs := bodies()
	before := energy(bs)
	steps := scale * 4000
	for i := 0; i < steps; i++ {
		advance(bs, 0.01)
	}
	return fmt.Sprintf("steps=%d energy=%.9f %.9f", steps, before, energy(bs))
}

func main() {
	scale := 16
	if len(os.Args) > 1 {
		s, err := strconv.Atoi(os.Args[1])
		if err != nil || s < 1 {
			fmt.Fprintln(os.Stderr, "usage: computemix [SCALE >= 1]")
			os.Exit(2)
		}
		scale = s
	}
	fmt.Println("sha256", sha(scale))
	fmt.Println("sort", sortInts(scale))
	fmt.Println("maps", maps(scale))
	fmt.Println("nbody", nbody(scale))
}
