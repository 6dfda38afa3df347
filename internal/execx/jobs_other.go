//go:build unix && !linux

package execx

// superviseStops leaves job control to the child and the terminal where
// tok cannot watch the child stop without reaping it.
func (t *terminal) superviseStops(int) {}
