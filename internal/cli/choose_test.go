package cli

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestNoBrowserReason(t *testing.T) {
	desktop := map[string]string{"DISPLAY": ":0"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range desktop {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		goos    string
		env     map[string]string
		openers []string // commands found in PATH
		want    string   // "" = a browser can open
	}{
		{"linux desktop", "linux", desktop, []string{"xdg-open"}, ""},
		{"wayland only", "linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, []string{"xdg-open"}, ""},
		{"CI", "linux", with(map[string]string{"CI": "true"}), []string{"xdg-open"}, "CI is set"},
		{"CI on macOS", "darwin", map[string]string{"CI": "1"}, nil, "CI is set"},
		{"SSH_CONNECTION", "linux", with(map[string]string{"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"}), []string{"xdg-open"}, "SSH session"},
		{"SSH_TTY on macOS", "darwin", map[string]string{"SSH_TTY": "/dev/ttys001"}, nil, "SSH session"},
		{"CI wins over TOK_BROWSER", "linux", with(map[string]string{"CI": "true", "TOK_BROWSER": "firefox"}), nil, "CI is set"},
		{"no display", "linux", map[string]string{}, []string{"xdg-open"}, "no DISPLAY or WAYLAND_DISPLAY"},
		{"empty DISPLAY", "freebsd", map[string]string{"DISPLAY": ""}, []string{"xdg-open"}, "no DISPLAY or WAYLAND_DISPLAY"},
		{"no display but TOK_BROWSER", "linux", map[string]string{"TOK_BROWSER": "w3m"}, nil, ""},
		{"no display but BROWSER", "linux", map[string]string{"BROWSER": "lynx"}, nil, ""},
		{"no opener", "linux", desktop, nil, "no browser opener (xdg-open) found"},
		{"x-www-browser only", "linux", desktop, []string{"x-www-browser"}, ""},
		{"www-browser only", "linux", desktop, []string{"www-browser"}, ""},
		{"macOS needs no display", "darwin", map[string]string{}, nil, ""},
		{"windows needs no display", "windows", map[string]string{}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			look := func(name string) (string, error) {
				for _, o := range tt.openers {
					if o == name {
						return "/usr/bin/" + name, nil
					}
				}
				return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
			}
			get := envOf(tt.env)
			h := hostProbe{getenv: func(k string) string { v, _ := get(k); return v }, lookPath: look, goos: tt.goos}
			if got := h.noBrowserReason(); got != tt.want {
				t.Errorf("noBrowserReason() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChooseFlow(t *testing.T) {
	withDevice := &provider.Metadata{DeviceAuthURL: "https://op.example/device"}
	noDevice := &provider.Metadata{}
	tests := []struct {
		name      string
		flow      string
		env       map[string]string
		md        *provider.Metadata
		opts      loginOptions
		want      string
		noBrowser bool
		said      string // on stderr; "" = nothing
	}{
		{"CI picks device", config.FlowAuto, map[string]string{"CI": "true"}, withDevice, loginOptions{}, config.FlowDevice, false, "tok: using the device flow (CI is set)"},
		{"SSH picks device", config.FlowAuto, map[string]string{"SSH_TTY": "/dev/pts/0"}, withDevice, loginOptions{}, config.FlowDevice, false, "using the device flow (SSH session)"},
		{"no device endpoint: browser without opening", config.FlowAuto, map[string]string{"CI": "true"}, noDevice, loginOptions{}, config.FlowBrowser, true, "no browser here (CI is set) and p has no device flow"},
		{"explicit opener: browser", config.FlowAuto, map[string]string{"TOK_BROWSER": "browse"}, withDevice, loginOptions{}, config.FlowBrowser, false, "tok: using the browser flow"},
		{"--browser wins over CI", config.FlowAuto, map[string]string{"CI": "true"}, withDevice, loginOptions{Browser: true}, config.FlowBrowser, false, ""},
		{"--device wins over a desktop", config.FlowAuto, map[string]string{"TOK_BROWSER": "x"}, withDevice, loginOptions{Device: true}, config.FlowDevice, false, ""},
		{"configured flow wins over CI", config.FlowBrowser, map[string]string{"CI": "true"}, withDevice, loginOptions{}, config.FlowBrowser, false, ""},
		{"client_credentials", config.FlowClientCredentials, map[string]string{"CI": "true"}, withDevice, loginOptions{}, config.FlowClientCredentials, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			a := &App{Stderr: &stderr, LookupEnv: envOf(tt.env)}
			p := &provider.Provider{}
			p.Name, p.Flow = "p", tt.flow
			opts := tt.opts
			got := a.chooseFlow(p, tt.md, &opts)
			if got != tt.want || opts.NoBrowser != tt.noBrowser {
				t.Errorf("chooseFlow = %s (no-browser %v), want %s (no-browser %v)", got, opts.NoBrowser, tt.want, tt.noBrowser)
			}
			if tt.said == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tt.said) {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.said)
			}
			if strings.Count(stderr.String(), "\n") > 1 {
				t.Errorf("stderr has more than one line: %q", stderr.String())
			}
		})
	}
}
