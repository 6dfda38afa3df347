package flow

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func runDeviceOnTerminal(t *testing.T, term Terminal, replies ...reply) (string, error) {
	t.Helper()
	p := newProvider(t, replies...)
	p.deviceReply = jsonReply(200, withInterval(`,"interval":1`))
	stderr := &syncBuffer{}
	clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := Request{OAuth: oauth2.Config{ClientID: "c", Endpoint: p.endpoint()}, Stderr: stderr,
		HTTPClient: p.srv.Client(), now: clock.Now, sleep: clock.Sleep, Terminal: term, tick: time.Millisecond}
	_, err := Device(context.Background(), r)
	return stderr.String(), err
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func TestDeviceOnTerminal(t *testing.T) {
	out, err := runDeviceOnTerminal(t, Terminal{On: true, Color: true, Width: 100, Height: 50}, jsonReply(200, goodToken))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Scan with a phone",
		qrInk,          // forced light-on-dark modules
		"█   █ ████  ", // W and D of WDJB-MJHT in block letters
		"To log in, visit https://example.com/device and enter the code: WDJB-MJHT\n",
		"Or open: https://example.com/device?user_code=WDJB-MJHT\n",
		"Waiting for approval: the code expires in \x1b[1m",
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
	out, err := runDeviceOnTerminal(t, Terminal{On: true, Width: 100}, jsonReply(400, `{"error":"access_denied"}`))
	if err == nil || !strings.Contains(err.Error(), "denied") {
		t.Fatalf("err = %v", err)
	}
	if sgr.MatchString(out) {
		t.Errorf("colour with NO_COLOR: %q", sgr.FindString(out))
	}
	if !regexp.MustCompile(`expires in (10:00|9:5\d) \(Ctrl-C`).MatchString(out) || !strings.HasSuffix(out, clearLine) {
		t.Errorf("countdown missing or not cleared on denial: %q", out)
	}
}

func TestDeviceOnSmallTerminal(t *testing.T) {
	out, err := runDeviceOnTerminal(t, Terminal{On: true, Width: 30, Height: 20}, jsonReply(200, goodToken))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out, "▀▄█") {
		t.Errorf("art drawn on a 30x20 terminal:\n%s", out)
	}
	if !strings.Contains(out, "  W D J B - M J H T\n") {
		t.Errorf("no spaced code: %q", out)
	}
}

func TestDeviceNotOnTerminalIsPlain(t *testing.T) {
	out, err := runDeviceOnTerminal(t, Terminal{}, jsonReply(200, goodToken))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f {
			t.Fatalf("control character %q in plain output %q", r, out)
		}
	}
	if strings.Count(out, "\n") != 2 {
		t.Errorf("want exactly two lines, got %q", out)
	}
}

func TestCountdownText(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		deadline time.Time
		want     string
	}{
		{t0.Add(5*time.Minute + 400*time.Millisecond), "expires in 5:00"},
		{t0.Add(61 * time.Second), "expires in 1:01"},
		{t0.Add(9 * time.Second), "expires in 0:09"},
		{t0, "The code has expired"},
		{time.Time{}, "Waiting for approval (Ctrl-C to cancel)"},
	}
	for _, tt := range tests {
		if got := countdownText(tt.deadline, t0, false); !strings.Contains(got, tt.want) {
			t.Errorf("countdownText(%s) = %q, want %q", tt.deadline.Sub(t0), got, tt.want)
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
