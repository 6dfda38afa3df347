package wire

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// ExpiresIn reads an RFC 6749 §5.1 expires_in as JSON decoders leave it: a
// number, or (as some servers send it) a string of digits. given is false
// when v is absent or not a number; secs may then be 0 or negative, which
// the caller refuses or treats as unknown.
func ExpiresIn(v any) (secs int64, given bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int64:
		return n, true
	case int:
		return int64(n), true
	case json.Number:
		x, err := n.Float64()
		if err != nil {
			return 0, false
		}
		f = x
	case string:
		x, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if err != nil {
			return 0, false
		}
		f = x
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	// More than 30 000 years is as good as never; keep it representable.
	return int64(max(min(f, 1<<40), -(1 << 40))), true
}
