package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

// report runs the series and prints them side by side.
func (b *bench) report() error {
	// The item tok reads first, the login's head item, is the floor's.
	floor := []string{"floor", "tok", "token:dex:default"}
	print := []string{"tok", "print", "dex"}
	execTrue := []string{"tok", "exec", "dex", "--", "true"}
	version := []string{"tok", "version"}
	rs, err := b.series(*runs, [][]string{floor, print, execTrue, version})
	if err != nil {
		return err
	}
	fl, pr, ex := statsOf(rs[0]), statsOf(rs[1]), statsOf(rs[2])
	rss, exact, err := b.peakRSS(10, [][]string{floor, print, execTrue, version})
	if err != nil {
		return err
	}
	item, err := b.run("floor", floor[1:]...)
	if err != nil {
		return err
	}
	reqs, fails, wall, err := b.burst(*concurrent)
	if err != nil {
		return err
	}
	w := os.Stdout
	fmt.Fprintf(w, "tok bench: %d runs each, %s/%s, %d CPUs, Secret Service: gnome-keyring-daemon on a private D-Bus session\n\n",
		*runs, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(w, "%-40s %10s %10s %12s  %s\n", "", "median", "p90", "peak RSS", "target")
	row := func(name string, s stats, rss int64, target string) {
		fmt.Fprintf(w, "%-40s %10s %10s %9.1f MB  %s\n", name, ms(s.median), ms(s.p90), float64(rss)/(1<<20), target)
	}
	row("floor: go-keyring Get + print", fl, rss[0], fmt.Sprintf("(the item: %d bytes)", len(item.out)-1))
	row("tok print dex (fresh cached token)", pr, rss[1],
		fmt.Sprintf("median <= 1.5x floor: %.2fx %s; RSS < 30 MB: %s", ratio(pr, fl), verdict(ratio(pr, fl) <= 1.5), verdict(rss[1] < 30<<20)))
	row("tok exec dex -- true", ex, rss[2],
		fmt.Sprintf("median <= 1.2x print: %.2fx %s", ratio(ex, pr), verdict(ratio(ex, pr) <= 1.2)))
	row("tok version (start-up alone)", statsOf(rs[3]), rss[3], "")
	if !exact {
		fmt.Fprintln(w, "(no GNU time at /usr/bin/time: peak RSS figures include bench's own pages, upper bounds)")
	}
	fmt.Fprintf(w, "\n%d concurrent tok print dex --min-ttl 1m, token in need of a refresh:\n", *concurrent)
	fmt.Fprintf(w, "  token requests at the provider: %d (target 1) %s\n", reqs, verdict(reqs == 1))
	fmt.Fprintf(w, "  failures or differing tokens:   %d %s\n", fails, verdict(fails == 0))
	fmt.Fprintf(w, "  wall time:                      %s\n", ms(wall))
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b stats) float64 { return float64(a.median) / float64(b.median) }

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}
