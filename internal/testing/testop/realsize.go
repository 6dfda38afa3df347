package testop

import (
	"context"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// With Options.RealSizeTokens the provider issues tokens of the size real
// OpenID providers do (Entra ID, Okta, Keycloak with groups and roles):
// signed JWT access tokens of about 2.5 KB and ID tokens of about 1.2 KB.
// The padding is a private claim, "ext"; `make bench` measures with it.
const (
	accessPadding = 1640
	idPadding     = 420
)

// GetPrivateClaimsFromScopes adds the access token's padding.
func (s *opStorage) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	claims, err := s.Storage.GetPrivateClaimsFromScopes(ctx, userID, clientID, scopes)
	if err != nil || !s.realSize {
		return claims, err
	}
	if claims == nil {
		claims = map[string]any{}
	}
	claims["ext"] = strings.Repeat("x", accessPadding)
	return claims, nil
}

// SetUserinfoFromRequest adds the ID token's padding.
func (s *opStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	if s.realSize {
		info.AppendClaims("ext", strings.Repeat("x", idPadding))
	}
	return nil
}
