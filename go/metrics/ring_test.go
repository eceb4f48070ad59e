package metrics

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRingKeepsTheNewest(t *testing.T) {
	t.Parallel()
	r := NewRing[int](3)
	require.Empty(t, r.Since(time.Time{}))
	t0 := time.Unix(1000, 0)
	for i := 0; i < 5; i++ {
		r.Add(t0.Add(time.Duration(i)*time.Second), i)
	}
	require.Equal(t, []int{2, 3, 4}, r.Since(time.Time{}), "capacity 3: the oldest are dropped, order kept")
	require.Equal(t, []int{3, 4}, r.Since(t0.Add(3*time.Second)), "at or after")
	require.Empty(t, r.Since(t0.Add(time.Minute)))
	require.Equal(t, []int{4}, r.Last(1))
	require.Equal(t, []int{2, 3, 4}, r.Last(10))
	var nilRing *Ring[int]
	nilRing.Add(t0, 1)
	require.Empty(t, nilRing.Since(time.Time{}))
}

func TestRingConcurrent(t *testing.T) {
	t.Parallel()
	r := NewRing[int](100)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				r.Add(time.Now(), i)
				_ = r.Last(5)
			}
		}()
	}
	wg.Wait()
	require.Len(t, r.Since(time.Time{}), 100)
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		values []float64
		want   Summary
	}{
		{"none", nil, Summary{}},
		{"one", []float64{2}, Summary{Min: 2, Mean: 2, Median: 2, P95: 2, Max: 2}},
		{"even", []float64{4, 1, 3, 2}, Summary{Min: 1, Mean: 2.5, Median: 2.5, P95: 4, Max: 4}},
		{"twenty", []float64{20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
			Summary{Min: 1, Mean: 10.5, Median: 10.5, P95: 19, Max: 20}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, Summarize(c.values))
		})
	}
}
