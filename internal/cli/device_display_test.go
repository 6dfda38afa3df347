package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/flow"
	"github.com/tok-cli/tok/internal/testing/syncbuf"
)

// displayBuffer is a stderr that the countdown writes to from its goroutine.
type displayBuffer = syncbuf.Buffer

var codeNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// showCode displays the code of RFC 8628's example, then ends the
// display as flow.Device does.
func showCode(t *testing.T, term terminal) string {
	t.Helper()
	out := &displayBuffer{}
	d := &deviceDisplay{w: out, term: term, now: func() time.Time { return codeNow }, every: time.Millisecond}
	done := d.show(flow.DeviceCode{UserCode: "WDJB-MJHT", VerificationURI: "https://example.com/device",
		VerificationURIComplete: "https://example.com/device?user_code=WDJB-MJHT", Expiry: codeNow.Add(10 * time.Minute)})
	done() // the countdown draws once before it looks whether it was stopped

	return out.String()
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func TestDeviceOnTerminal(t *testing.T) {
	out := showCode(t, terminal{On: true, Color: true, Width: 100, Height: 50})
	for _, want := range []string{
		"Scan with a phone",
		qrInk,          // forced light-on-dark modules
		"█   █ ████  ", // W and D of WDJB-MJHT in block letters
		"To log in, visit https://example.com/device and enter the code: WDJB-MJHT\n",
		"Or open: https://example.com/device?user_code=WDJB-MJHT\n",
		"Waiting for approval: the code expires in \x1b[1m10:00",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, out)
		}
	}
	if !strings.ContainsAny(out, "▀▄") {
		t.Error("no half-block QR code")
	}
	if !strings.HasSuffix(out, clearLine) {
		t.Errorf("the countdown line is not cleared at the end: %q", out[len(out)-80:])
	}
	// The line a script or person parses stays whole after the art.
	if i, j := strings.Index(out, "Scan with"), strings.Index(out, "To log in"); i > j {
		t.Error("the plain instructions come before the art: they would scroll away")
	}
}

func TestDeviceOnTerminalNoColor(t *testing.T) {
	out := showCode(t, terminal{On: true, Width: 100})
	if sgr.MatchString(out) {
		t.Errorf("colour with NO_COLOR: %q", sgr.FindString(out))
	}
	if !strings.Contains(out, "expires in 10:00 (Ctrl-C") || !strings.HasSuffix(out, clearLine) {
		t.Errorf("countdown missing or not cleared: %q", out)
	}
}

func TestDeviceOnSmallTerminal(t *testing.T) {
	out := showCode(t, terminal{On: true, Width: 30, Height: 20})
	if strings.ContainsAny(out, "▀▄█") {
		t.Errorf("art drawn on a 30x20 terminal:\n%s", out)
	}
	if !strings.Contains(out, "  W D J B - M J H T\n") {
		t.Errorf("no spaced code: %q", out)
	}
}

func TestDeviceNotOnTerminalIsPlain(t *testing.T) {
	out := showCode(t, terminal{})
	want := "To log in, visit https://example.com/device and enter the code: WDJB-MJHT\n" +
		"Or open: https://example.com/device?user_code=WDJB-MJHT\n"
	if out != want {
		t.Errorf("plain output %q, want %q", out, want)
	}
}

func TestCountdownText(t *testing.T) {
	tests := []struct {
		deadline time.Time
		want     string
	}{
		{codeNow.Add(5*time.Minute + 400*time.Millisecond), "expires in 5:00"},
		{codeNow.Add(61 * time.Second), "expires in 1:01"},
		{codeNow.Add(9 * time.Second), "expires in 0:09"},
		{codeNow, "The code has expired"},
		{time.Time{}, "Waiting for approval (Ctrl-C to cancel)"},
	}
	for _, tt := range tests {
		if got := countdownText(tt.deadline, codeNow, false); !strings.Contains(got, tt.want) {
			t.Errorf("countdownText(%s) = %q, want %q", tt.deadline.Sub(codeNow), got, tt.want)
		}
	}
}

func TestBigText(t *testing.T) {
	got := bigText("A-0", "", 0)
	want := strings.ReplaceAll(" ###       ###\n"+
		"#   #     #  ##\n"+
		"##### ### # # #\n"+
		"#   #     ##  #\n"+
		"#   #      ###\n", "#", "█")
	if got != want {
		t.Errorf("bigText(A-0) =\n%s\nwant\n%s", got, want)
	}
	if bigText("ab", "", 0) != "" || bigText("WDJB?", "", 0) != "" || bigText("", "", 0) != "" {
		t.Error("characters outside the font were drawn")
	}
	if bigText("WDJBMJHT", "  ", 40) != "" {
		t.Error("drawn wider than the terminal")
	}
	for r := range glyphs {
		g := glyphs[r]
		for _, row := range g {
			if len(row) != len(g[0]) {
				t.Errorf("glyph %q has rows of different widths", r)
			}
		}
	}
}
