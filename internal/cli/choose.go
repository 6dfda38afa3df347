package cli

import (
	"os/exec"
	"runtime"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
)

// chooseFlow picks the consent flow: the flag, else the provider's flow,
// else (auto) the device flow where no browser can open and the provider
// has a device endpoint. An auto choice is said on stderr.
func (a *App) chooseFlow(p *provider.Provider, md *provider.Metadata, opts *loginOptions) string {
	switch {
	case opts.Browser:
		return config.FlowBrowser
	case opts.Device:
		return config.FlowDevice
	case p.Flow != config.FlowAuto:
		return p.Flow
	}
	why := a.host().noBrowserReason()
	if why == "" {
		a.note("using the browser flow")
		return config.FlowBrowser
	}
	if md.DeviceAuthURL == "" {
		a.note("no browser here (%s) and %s has no device flow: open the URL below on any machine", why, p.Name)
		opts.NoBrowser = true
		return config.FlowBrowser
	}
	a.note("using the device flow (%s)", why)
	return config.FlowDevice
}

// hostProbe is what tok looks at to decide whether a browser can open.
type hostProbe struct {
	getenv   func(string) string
	lookPath func(string) (string, error)
	goos     string
}

func (a *App) host() hostProbe {
	return hostProbe{getenv: a.getenv, lookPath: exec.LookPath, goos: runtime.GOOS}
}

// systemOpeners are the commands github.com/pkg/browser tries on systems
// that open URLs through X11 or Wayland desktops.
var systemOpeners = []string{"xdg-open", "x-www-browser", "www-browser"}

// noBrowserReason says why no browser can open here, or "" when one can.
// An explicit opener (TOK_BROWSER, BROWSER) is trusted even without a
// display: it may be a text browser or a script.
func (h hostProbe) noBrowserReason() string {
	switch {
	case h.getenv("CI") != "":
		return "CI is set"
	case h.getenv("SSH_CONNECTION") != "" || h.getenv("SSH_TTY") != "":
		return "SSH session"
	case h.getenv("TOK_BROWSER") != "" || h.getenv("BROWSER") != "":
		return ""
	case !h.desktopByDisplay():
		return ""
	case h.getenv("DISPLAY") == "" && h.getenv("WAYLAND_DISPLAY") == "":
		return "no DISPLAY or WAYLAND_DISPLAY"
	}
	for _, name := range systemOpeners {
		if _, err := h.lookPath(name); err == nil {
			return ""
		}
	}
	return "no browser opener (xdg-open) found"
}

// desktopByDisplay reports whether the system shows browsers only through
// an X11 or Wayland display: macOS and Windows always have their opener.
func (h hostProbe) desktopByDisplay() bool {
	switch h.goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos":
		return true
	}
	return false
}
