package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mdp/qrterminal/v3"

	"github.com/tok-cli/tok/internal/flow"
)

// terminal describes stderr when a person watches it on a terminal. The
// zero value means "not a terminal": plain lines only, no control
// characters.
type terminal struct {
	On            bool // Stderr is a terminal that understands cursor control (TERM is not dumb)
	Color         bool // colours allowed (NO_COLOR unset)
	Width, Height int  // in cells; 0 when unknown
}

const (
	artIndent   = "  "
	defaultCols = 80
	clearLine   = "\r\x1b[2K"
	// qrInk draws light modules (the glyphs) bright white and dark ones
	// (the background) black whatever the terminal's theme, so that phones
	// read the code.
	qrInk   = "\x1b[97;40m"
	resetSG = "\x1b[0m"
)

// deviceDisplay shows the device flow's code (flow.Request.DisplayCode):
// on a terminal a QR code, the code in block letters and a countdown;
// elsewhere the plain lines alone, which scripts may read.
type deviceDisplay struct {
	w     io.Writer
	term  terminal
	now   func() time.Time
	every time.Duration // countdown redraws; 0 = each second
}

// show prints c and returns the function that clears the countdown.
func (d *deviceDisplay) show(c flow.DeviceCode) (done func()) {
	if d.term.On {
		open := c.VerificationURIComplete
		if open == "" {
			open = c.VerificationURI
		}
		showDeviceArt(d.w, d.term, c.UserCode, open)
	}
	fmt.Fprintf(d.w, "To log in, visit %s and enter the code: %s\n", c.VerificationURI, c.UserCode)
	if c.VerificationURIComplete != "" {
		fmt.Fprintf(d.w, "Or open: %s\n", c.VerificationURIComplete)
	}
	if !d.term.On {
		return func() {}
	}
	every := d.every
	if every <= 0 {
		every = time.Second
	}
	return startCountdown(d.w, d.term, c.Expiry, d.now, every).stop
}

// showDeviceArt draws, for a person at a terminal, a QR code of the URL
// to open on a phone and the user code in block letters. Either is left
// out when the terminal is too small for it.
func showDeviceArt(w io.Writer, t terminal, userCode, openURL string) {
	width := t.Width
	if width <= 0 {
		width = defaultCols
	}
	if qr := qrLines(openURL); len(qr) > 0 && utf8.RuneCountInString(qr[0])+len(artIndent) <= width &&
		(t.Height <= 0 || len(qr)+12 <= t.Height) {
		fmt.Fprintf(w, "\n%sScan with a phone to open the login page:\n", artIndent)
		for _, line := range qr {
			if t.Color {
				line = qrInk + line + resetSG
			}
			fmt.Fprintf(w, "%s%s\n", artIndent, line)
		}
	}
	if big := bigText(userCode, artIndent, width); big != "" {
		fmt.Fprintf(w, "\n%s\n", big)
	} else {
		fmt.Fprintf(w, "\n%s%s\n\n", artIndent, strings.Join(strings.Split(userCode, ""), " "))
	}
}

// qrLines renders s as a QR code in half blocks (two modules per line),
// with light modules drawn as full blocks, as github.com/mdp/qrterminal
// does.
func qrLines(s string) []string {
	var buf bytes.Buffer
	qrterminal.GenerateWithConfig(s, qrterminal.Config{
		Level:          qrterminal.L,
		Writer:         &buf,
		HalfBlocks:     true,
		BlackChar:      qrterminal.BLACK_BLACK,
		WhiteBlackChar: qrterminal.WHITE_BLACK,
		WhiteChar:      qrterminal.WHITE_WHITE,
		BlackWhiteChar: qrterminal.BLACK_WHITE,
		QuietZone:      2,
	})
	return strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
}

// countdown keeps one status line updated with the time left to approve
// the code, and clears it when the flow ends however it ends.
type countdown struct {
	w        io.Writer
	deadline time.Time
	now      func() time.Time
	stopped  chan struct{}
	done     sync.WaitGroup
	once     sync.Once
}

func startCountdown(w io.Writer, t terminal, deadline time.Time, now func() time.Time, every time.Duration) *countdown {
	c := &countdown{w: w, deadline: deadline, now: now, stopped: make(chan struct{})}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			fmt.Fprint(w, clearLine+countdownText(c.deadline, c.now(), t.Color))
			select {
			case <-c.stopped:
				return
			case <-tick.C:
			}
		}
	}()
	return c
}

// stop ends the countdown and clears its line, leaving the cursor at the
// start of an empty line for whatever tok prints next.
func (c *countdown) stop() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		close(c.stopped)
		c.done.Wait()
		fmt.Fprint(c.w, clearLine)
	})
}

func countdownText(deadline, now time.Time, color bool) string {
	if deadline.IsZero() {
		return "Waiting for approval (Ctrl-C to cancel)"
	}
	left := deadline.Sub(now).Round(time.Second)
	if left <= 0 {
		return "The code has expired"
	}
	mmss := fmt.Sprintf("%d:%02d", int(left.Minutes()), int(left.Seconds())%60)
	if color {
		mmss = "\x1b[1m" + mmss + resetSG
	}
	return "Waiting for approval: the code expires in " + mmss + " (Ctrl-C to cancel)"
}
