package cli

import (
	"fmt"
	"runtime"

	"github.com/tok-cli/tok/internal/config"
	"github.com/tok-cli/tok/internal/provider"
)

// chooseFlow picks the consent flow and says which on stderr: the flag,
// else the provider's flow, else (auto) the device flow where no browser
// can open and the provider has a device endpoint.
func (a *App) chooseFlow(p *provider.Provider, md *provider.Metadata, opts *loginOptions) string {
	switch {
	case opts.Browser:
		return config.FlowBrowser
	case opts.Device:
		return config.FlowDevice
	case p.Flow != config.FlowAuto:
		return p.Flow
	}
	why := a.noBrowserReason()
	if why == "" {
		fmt.Fprintln(a.Stderr, "tok: using the browser flow")
		return config.FlowBrowser
	}
	if md.DeviceAuthURL == "" {
		fmt.Fprintf(a.Stderr, "tok: no browser here (%s) and %s has no device flow: open the URL below on any machine\n", why, p.Name)
		opts.NoBrowser = true
		return config.FlowBrowser
	}
	fmt.Fprintf(a.Stderr, "tok: using the device flow (%s)\n", why)
	return config.FlowDevice
}

// noBrowserReason says why no browser can open here, or "" when one can.
func (a *App) noBrowserReason() string {
	switch {
	case a.getenv("CI") != "":
		return "CI is set"
	case a.getenv("SSH_CONNECTION") != "" || a.getenv("SSH_TTY") != "":
		return "SSH session"
	case a.getenv("TOK_BROWSER") != "" || a.getenv("BROWSER") != "":
		return ""
	case runtime.GOOS == "linux" && a.getenv("DISPLAY") == "" && a.getenv("WAYLAND_DISPLAY") == "":
		return "no DISPLAY or WAYLAND_DISPLAY"
	}
	return ""
}
