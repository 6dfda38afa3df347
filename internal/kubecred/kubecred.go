// Package kubecred writes the ExecCredential a Kubernetes client reads
// from a credential plugin (client.authentication.k8s.io, see the
// Kubernetes documentation "client-go credential plugins").
package kubecred

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// API versions tok answers in. v1alpha1 is gone from every kubectl that
// tok supports.
const (
	V1      = "client.authentication.k8s.io/v1"
	V1beta1 = "client.authentication.k8s.io/v1beta1"
)

// EnvExecInfo is the variable kubectl sets for a plugin: an ExecCredential
// whose apiVersion names the version it wants back.
const EnvExecInfo = "KUBERNETES_EXEC_INFO"

// maxExecInfo bounds what tok reads of KUBERNETES_EXEC_INFO (it can carry
// the cluster's CA bundle).
const maxExecInfo = 1 << 20

// APIVersion reads the version the client asks for from the value of
// KUBERNETES_EXEC_INFO: V1 when it is empty, an error for a version tok
// does not write.
func APIVersion(execInfo string) (string, error) {
	if strings.TrimSpace(execInfo) == "" {
		return V1, nil
	}
	if len(execInfo) > maxExecInfo {
		return "", fmt.Errorf("%s is too large", EnvExecInfo)
	}
	var info struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal([]byte(execInfo), &info); err != nil {
		return "", fmt.Errorf("%s is not an ExecCredential", EnvExecInfo)
	}
	switch info.APIVersion {
	case V1, V1beta1:
		return info.APIVersion, nil
	case "":
		return V1, nil
	}
	return "", fmt.Errorf("%s asks for %q: tok writes %s and %s", EnvExecInfo, clip(info.APIVersion), V1, V1beta1)
}

// Credential is an ExecCredential with its status filled.
type Credential struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		Interactive bool `json:"interactive"`
	} `json:"spec"`
	Status Status `json:"status"`
}

// Status carries the bearer token and when it expires; a zero expiry is
// left out, and the client then keeps the token until a server refuses it.
type Status struct {
	ExpirationTimestamp *time.Time `json:"expirationTimestamp,omitempty"`
	Token               string     `json:"token"`
}

// New returns the ExecCredential of apiVersion holding token.
func New(apiVersion, token string, expiry time.Time) *Credential {
	c := &Credential{Kind: "ExecCredential", APIVersion: apiVersion, Status: Status{Token: token}}
	if !expiry.IsZero() {
		// RFC 3339 in UTC, whole seconds, as Kubernetes writes times.
		exp := expiry.UTC().Truncate(time.Second)
		c.Status.ExpirationTimestamp = &exp
	}
	return c
}

func clip(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
