// Command jsonregexp is the encoding/json + regexp benchmark of BENCHMARKS.md's "Go programs
// by tier" (scripts/go-bench.sh): it generates deterministic records, encodes them to JSON
// (about 5 MB at the default scale), decodes them back, and runs regular expressions over
// generated log text of about the same size. Every phase prints a checksum.
//
// Usage: jsonregexp [SCALE]   (default 24; the benchmark uses 24, the tests 1)
//
// With S = SCALE and an xorshift64 generator (seed 0x9e3779b97f4a7c15):
//   - json: S * 1000 records {id, name, email, tags[3], score, active, address{street, city,
//     zip}}, json.Marshal of the slice, then json.Unmarshal into a fresh slice; prints the
//     encoded size, its FNV-1a 64 and sums over the decoded records;
//   - regexp: S * 2000 log lines "2026-MM-DD HH:MM:SS LEVEL user=<name> ip=<a.b.c.d> took=<n>ms
//     msg=<words>"; counts lines matching an ERROR/WARN pattern, extracts every IPv4 address
//     with a capture group (summing the octets), and replaces every `took=Nms` by `took=#`
//     (FNV-1a 64 of the result).
//
// Output (two lines):
//
//	json bytes=<n> fnv=<hex> records=<n> score_sum=<n> active=<n> tags=<n>
//	regexp bytes=<n> matches=<n> ips=<n> octets=<n> replaced_fnv=<hex>
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

type rng struct{ x uint64 }

func (r *rng) next() uint64 {
	r.x ^= r.x << 13
	r.x ^= r.x >> 7
	r.x ^= r.x << 17
	return r.x
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

var words = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
	"india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo"}

func (r *rng) word() string { return words[r.intn(len(words))] }

type address struct {
	Street string `json:"street"`
	City   string `json:"city"`
	Zip    string `json:"zip"`
}

type record struct {
	ID      int      `json:"id"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Tags    []string `json:"tags"`
	Score   float64  `json:"score"`
	Active  bool     `json:"active"`
	Address address  `json:"address"`
}

func fnv(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func jsonPhase(scale int, r *rng) string {
	recs := make([]record, scale*1000)
	for i := range recs {
		name := r.word() + " " + r.word()
		recs[i] = record{
			ID:      i,
			Name:    name,
			Email:   strings.ReplaceAll(name, " ", ".") + "@example.org",
			Tags:    []string{r.word(), r.word(), r.word()},
			Score:   float64(r.intn(100000)) / 100,
			Active:  r.intn(3) != 0,
			Address: address{strconv.Itoa(r.intn(999)+1) + " " + r.word() + " street", r.word() + "ville", fmt.Sprintf("%05d", r.intn(100000))},
		}
	}
	enc, err := json.Marshal(recs)
	if err != nil {
		panic(err)
	}
	var back []record
	if err := json.Unmarshal(enc, &back); err != nil {
		panic(err)
	}
	scoreCents, active, tags := 0, 0, 0
	for _, rec := range back {
		scoreCents += int(rec.Score*100 + 0.5)
		if rec.Active {
			active++
		}
		tags += len(rec.Tags)
	}
	return fmt.Sprintf("bytes=%d fnv=%016x records=%d score_sum=%d active=%d tags=%d",
		len(enc), fnv(enc), len(back), scoreCents, active, tags)
}

var levels = []string{"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"}

func regexpPhase(scale int, r *rng) string {
	var sb strings.Builder
	for i := 0; i < scale*2000; i++ {
		fmt.Fprintf(&sb, "2026-%02d-%02d %02d:%02d:%02d %s user=%s ip=%d.%d.%d.%d took=%dms msg=",
			r.intn(12)+1, r.intn(28)+1, r.intn(24), r.intn(60), r.intn(60), levels[r.intn(len(levels))],
			r.word(), r.intn(256), r.intn(256), r.intn(256), r.intn(256), r.intn(5000))
		for w := r.intn(6) + 2; w > 0; w-- {
			sb.WriteString(r.word())
			sb.WriteByte(' ')
		}
		sb.WriteByte('\n')
	}
	text := sb.String()
	bad := regexp.MustCompile(`(?m)^\S+ \S+ (ERROR|WARN) user=(\w+)`)
	matches := len(bad.FindAllStringIndex(text, -1))
	ip := regexp.MustCompile(`ip=(\d+)\.(\d+)\.(\d+)\.(\d+)`)
	ips, octets := 0, 0
	for _, m := range ip.FindAllStringSubmatch(text, -1) {
		ips++
		for _, o := range m[1:] {
			v, _ := strconv.Atoi(o)
			octets += v
		}
	}
	took := regexp.MustCompile(`took=\d+ms`)
	replaced := took.ReplaceAllString(text, "took=#")
	return fmt.Sprintf("bytes=%d matches=%d ips=%d octets=%d replaced_fnv=%016x",
		len(text), matches, ips, octets, fnv([]byte(replaced)))
}

func main() {
	scale := 24
	if len(os.Args) > 1 {
		s, err := strconv.Atoi(os.Args[1])
		if err != nil || s < 1 {
			fmt.Fprintln(os.Stderr, "usage: jsonregexp [SCALE >= 1]")
			os.Exit(2)
		}
		scale = s
	}
	r := &rng{0x9e3779b97f4a7c15}
	fmt.Println("json", jsonPhase(scale, r))
	fmt.Println("regexp", regexpPhase(scale, r))
}
