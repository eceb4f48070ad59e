// Command apibench measures the latency of API routes of a running
// orchestrator service: for each path and each concurrency level it sends
// a fixed number of GET requests and prints p50, p99 and max. It is what
// script/bench-api runs; see docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:3000", "service URL")
	n := flag.Int("n", 2000, "requests per path and concurrency")
	conc := flag.String("c", "1,10", "concurrency levels, comma-separated")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "apibench: give the paths to measure, e.g. /api/clusters-info")
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, c := range strings.Split(*conc, ",") {
		workers, err := strconv.Atoi(c)
		if err != nil || workers < 1 {
			fmt.Fprintln(os.Stderr, "apibench: bad concurrency", c)
			os.Exit(2)
		}
		for _, path := range flag.Args() {
			lat, err := measure(client, *base+path, *n, workers)
			if err != nil {
				fmt.Fprintln(os.Stderr, "apibench:", path, err)
				os.Exit(1)
			}
			fmt.Printf("%-40s c=%-3d n=%d  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms\n",
				path, workers, *n, ms(pct(lat, 50)), ms(pct(lat, 99)), ms(lat[len(lat)-1]))
		}
	}
}

// measure sends n GETs with the given number of workers after 50 warm-up
// requests, and returns the sorted latencies. Any non-200 answer is an error.
func measure(client *http.Client, url string, n, workers int) ([]time.Duration, error) {
	for range 50 {
		if _, err := one(client, url); err != nil {
			return nil, err
		}
	}
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				d, err := one(client, url)
				mu.Lock()
				lat = append(lat, d)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return lat, firstErr
}

func one(client *http.Client, url string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	d := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return d, err
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
