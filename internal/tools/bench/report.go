package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/tok-cli/tok/internal/store"
)

// Targets of issue 11, checked in the table.
const (
	keyringPrintMax = 1.2      // keyring print median, times the floor
	filePrintMax    = 1.0      // file store with a key: print median, times the floor
	execMax         = 1.2      // exec -- true median, times print's
	rssMax          = 30 << 20 // peak RSS of any tok command, bytes
)

// report runs the series and prints them in one table, a column group
// per provider whose tokens were measured, side by side.
func (b *bench) report() error {
	// Per provider: the floor, the floor starting `true`, then print and
	// exec per store. The floor reads the item tok reads: the login's
	// record, one item.
	var cmds []cmd
	kr := b.stores[0]
	for _, p := range b.ops {
		item := "token:" + p.name + ":default"
		cmds = append(cmds, cmd{kr, []string{"floor", "tok", item}}, cmd{kr, []string{"floor", "tok", item, "--", "true"}})
		for _, s := range b.stores {
			cmds = append(cmds, cmd{s, []string{"tok", "print", p.name}}, cmd{s, []string{"tok", "exec", p.name, "--", "true"}})
		}
	}
	cmds = append(cmds, cmd{kr, []string{"tok", "version"}})
	perOP := 2 + 2*len(b.stores)
	rs, err := b.series(*runs, cmds)
	if err != nil {
		return err
	}
	rss, exact, err := b.peakRSS(5, cmds)
	if err != nil {
		return err
	}
	records := make([]string, len(b.ops))
	for i := range b.ops {
		item, err := b.run(cmds[i*perOP])
		if err != nil {
			return err
		}
		records[i] = recordSizes(strings.TrimSuffix(item.out, "\n"))
	}
	bursts := make([][]burstResult, len(b.ops))
	for i, p := range b.ops {
		for _, s := range b.stores {
			r, err := b.burst(s, p, *concurrent)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", p.label, s.name, err)
			}
			bursts[i] = append(bursts[i], r)
		}
	}

	w := os.Stdout
	fmt.Fprintf(w, "tok bench: %d runs each, interleaved; %s/%s, %d CPUs; gnome-keyring-daemon on a private D-Bus session\n",
		*runs, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(w, "%-30s", "tokens from")
	for _, p := range b.ops {
		fmt.Fprintf(w, " | %-38s", p.name+": "+p.label)
	}
	fmt.Fprintf(w, "\n%-30s", "keyring item (AT, IDT, RT)")
	for i := range b.ops {
		fmt.Fprintf(w, " | %-38s", records[i])
	}
	fmt.Fprintf(w, "\n%-30s", "command")
	for range b.ops {
		fmt.Fprintf(w, " | %9s %9s %8s %9s", "median", "p90", "ratio", "peak RSS")
	}
	fmt.Fprintf(w, " | target\n")

	// row prints one command's figures for every provider: the median's
	// ratio to base's row (the floor, or print for exec) and whether the
	// ratio meets limit (0: no target).
	rssOK, allOK := true, true
	row := func(name string, k, base int, limit float64, what string, checkRSS bool) {
		fmt.Fprintf(w, "%-30s", name)
		ok := true
		for i := range b.ops {
			st, ref := statsOf(rs[i*perOP+k]), statsOf(rs[i*perOP+base])
			r := ratio(st, ref)
			ok = ok && r <= limit
			m := rss[i*perOP+k]
			if checkRSS {
				rssOK = rssOK && m < rssMax
			}
			fmt.Fprintf(w, " | %9s %9s %7.2fx %6.1f MB", ms(st.median), ms(st.p90), r, float64(m)/(1<<20))
		}
		if limit > 0 {
			allOK = allOK && ok
			fmt.Fprintf(w, " | <= %.1fx %s: %s", limit, what, verdict(ok))
		}
		fmt.Fprintln(w)
	}
	row("floor: go-keyring Get + print", 0, 0, 0, "", false)
	row("floor + start `true`", 1, 0, 0, "", false)
	for j, s := range b.stores {
		limit := 0.0
		switch s.name {
		case "keyring":
			limit = keyringPrintMax
		case "file, key":
			limit = filePrintMax
		}
		passphrase := s.name == "file, passphrase"
		row("print ("+s.name+")", 2+2*j, 0, limit, "floor", !passphrase)
		row("exec -- true ("+s.name+")", 3+2*j, 2+2*j, execMax, "print", !passphrase)
	}
	v := statsOf(rs[len(rs)-1])
	fmt.Fprintf(w, "%-30s | %9s %9s %7.2fx %6.1f MB\n", "tok version (start-up alone)", ms(v.median), ms(v.p90),
		ratio(v, statsOf(rs[0])), float64(rss[len(rss)-1])/(1<<20))
	fmt.Fprintln(w, "ratio: print and version to the floor of the same provider's record; exec to print")
	// What starting a child costs at all, beside what it costs tok.
	for i, p := range b.ops {
		base := i * perOP
		delta := func(k, from int) string {
			return fmt.Sprintf("%+.1f ms", float64(statsOf(rs[base+k]).median-statsOf(rs[base+from]).median)/float64(time.Millisecond))
		}
		parts := []string{"the floor " + delta(1, 0)}
		for j, s := range b.stores {
			parts = append(parts, "tok exec over print ("+s.name+") "+delta(3+2*j, 2+2*j))
		}
		fmt.Fprintf(w, "starting and reaping `true` (%s): %s\n", p.name, strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "peak RSS of every tok command < %d MB: %s (with a passphrase, scrypt's 32 MiB come on top by design)\n", rssMax>>20, verdict(rssOK))
	if !exact {
		fmt.Fprintln(w, "(no GNU time at /usr/bin/time: peak RSS figures include bench's own pages, upper bounds)")
	}
	fmt.Fprintf(w, "\n%d concurrent `tok print PROVIDER --min-ttl 1m`, the token in need of a refresh:\n", *concurrent)
	fmt.Fprintf(w, "%-30s", "store")
	for _, p := range b.ops {
		fmt.Fprintf(w, " | %-8s %8s %8s %9s", p.name, "requests", "failures", "wall")
	}
	fmt.Fprintf(w, " | target: 1 request, 0 failures\n")
	for j, s := range b.stores {
		fmt.Fprintf(w, "%-30s", s.name)
		ok := true
		for i := range b.ops {
			r := bursts[i][j]
			ok = ok && r.requests == 1 && r.failures == 0
			fmt.Fprintf(w, " | %-8s %8d %8d %9s", "", r.requests, r.failures, ms(r.wall))
		}
		allOK = allOK && ok
		fmt.Fprintf(w, " | %s\n", verdict(ok))
	}
	if len(b.ops) == 1 {
		fmt.Fprintln(w, "\nnode oidc-provider was not measured: sh testdata/realop/install.sh")
	}
	fmt.Fprintf(w, "\nall targets: %s\n", verdict(allOK && rssOK))
	return nil
}

// recordSizes describes a stored login's keyring item: its size and the
// sizes of its access, ID and refresh tokens (AT, IDT, RT), in bytes.
func recordSizes(item string) string {
	// The keyring keeps a record as "tok-v1:" and its base64.
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(item, "tok-v1:"))
	var rec *store.Record
	if err == nil {
		rec, err = store.UnmarshalRecord(raw)
	}
	if err != nil {
		return fmt.Sprintf("%d B (unreadable: %v)", len(item), err)
	}
	return fmt.Sprintf("%d B (AT %d, IDT %d, RT %d)", len(item), len(rec.AccessToken), len(rec.IDToken), len(rec.RefreshToken))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b stats) float64 { return float64(a.median) / float64(b.median) }

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}
