package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"
)

// Filter selects entries: Target "" matches every target, a zero Since
// every time.
type Filter struct {
	Target string
	Since  time.Time
}

func (f Filter) match(e *Entry) bool {
	return (f.Target == "" || e.Target == f.Target) && !e.Time.Before(f.Since)
}

// Read returns the entries of the rotated file, then of the current one,
// that f selects, oldest first. skipped counts lines that are not entries
// (a torn line after a crash, or text someone added); they are left out.
// A log that does not exist yet holds no entries.
func Read(path string, f Filter) (entries []Entry, skipped int, err error) {
	for _, p := range []string{path + ".1", path} {
		file, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		got, bad, err := Parse(file, f)
		file.Close()
		if err != nil {
			return nil, 0, err
		}
		entries, skipped = append(entries, got...), skipped+bad
	}
	return entries, skipped, nil
}

// maxLine bounds one line: an entry is well under 8 KiB, the rest is not
// an entry.
const maxLine = 64 << 10

// Parse reads JSON lines from r and returns the entries f selects. Lines
// that are not an entry are counted in skipped.
func Parse(r io.Reader, f Filter) (entries []Entry, skipped int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if len(bytes.TrimSpace(line)) > 0 {
			var e Entry
			if jerr := json.Unmarshal(line, &e); jerr != nil || e.Event == "" || e.Time.IsZero() {
				skipped++
			} else if f.match(&e) {
				entries = append(entries, e)
			}
		}
		if err == io.EOF {
			return entries, skipped, nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// readLine returns the next line without its newline; a line longer than
// maxLine is returned cut (and then fails to parse).
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line) < maxLine {
			line = append(line, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
}
