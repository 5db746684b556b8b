package main

import (
	"fmt"
	"time"

	"connectedapps/internal/testkit"
)

// sample is one program's measurements, in the order they were taken.
type sample []float64

func (s sample) quantile(q float64) float64 { return testkit.Quantile(s, q) }

func (s sample) median() float64 { return s.quantile(0.5) }

// spread is the interquartile range, written "p25–p75".
func (s sample) spread(format func(float64) string) string {
	return format(s.quantile(0.25)) + "–" + format(s.quantile(0.75))
}

// ratios divides pair by pair: a[i] and b[i] were measured next to each other, so noise
// that hits one run of a pair mostly hits the other too.
func ratios(a, b sample) sample {
	r := make(sample, min(len(a), len(b)))
	for i := range r {
		r[i] = a[i] / b[i]
	}
	return r
}

func ms(v float64) string  { return fmt.Sprintf("%.1f ms", v) }
func mib(v float64) string { return fmt.Sprintf("%.1f MiB", v) }
func x(v float64) string   { return fmt.Sprintf("%.2f×", v) }

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// interleave runs each of fns once per round, rotating who goes first so that no program
// always runs right after the same other one, and returns each one's measurements.
func interleave(rounds int, fns ...func() (float64, error)) ([]sample, error) {
	out := make([]sample, len(fns))
	for r := range rounds {
		for k := range fns {
			i := (r + k) % len(fns)
			if r%2 == 1 { // ABBA-style: reverse the rotation every other round
				i = (len(fns) - 1 - ((r + k) % len(fns)))
			}
			v, err := fns[i]()
			if err != nil {
				return nil, fmt.Errorf("round %d, program %d: %w", r, i, err)
			}
			out[i] = append(out[i], v)
		}
	}
	return out, nil
}
