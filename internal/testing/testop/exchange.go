package testop

import (
	"context"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// RFC 8693 token exchange, through zitadel op's TokenExchangeStorage: an
// access token this provider issued is exchanged for an access token of
// the same subject and client with a subset of its scopes. With these
// methods the metadata lists the grant.

func (s *opStorage) ValidateTokenExchangeRequest(_ context.Context, req op.TokenExchangeRequest) error {
	if req.GetRequestedTokenType() == "" {
		req.SetRequestedTokenType(oidc.AccessTokenType)
	}
	if req.GetRequestedTokenType() != oidc.AccessTokenType || req.GetExchangeSubjectTokenType() != oidc.AccessTokenType {
		return oidc.ErrInvalidRequest().WithDescription("only access tokens are exchanged, for access tokens")
	}
	if req.GetExchangeActorTokenIDOrToken() != "" {
		return oidc.ErrInvalidRequest().WithDescription("no delegation")
	}
	t, err := s.liveAccess(req.GetExchangeSubjectTokenIDOrToken())
	if err != nil {
		return oidc.ErrInvalidGrant().WithDescription("subject_token is invalid")
	}
	if t.clientID != req.GetClientID() {
		return oidc.ErrInvalidGrant().WithDescription("subject_token was issued to another client")
	}
	for _, sc := range req.GetScopes() {
		if !slices.Contains(t.scopes, sc) {
			return oidc.ErrInvalidScope().WithDescription("scope broader than the subject token's")
		}
	}
	if len(req.GetScopes()) == 0 {
		req.SetCurrentScopes(t.scopes)
	}
	return nil
}

func (s *opStorage) CreateTokenExchangeRequest(context.Context, op.TokenExchangeRequest) error {
	return nil
}

func (s *opStorage) GetPrivateClaimsFromTokenExchangeRequest(context.Context, op.TokenExchangeRequest) (map[string]any, error) {
	return nil, nil
}

func (s *opStorage) SetUserinfoFromTokenExchangeRequest(ctx context.Context, info *oidc.UserInfo, req op.TokenExchangeRequest) error {
	return s.SetUserinfoFromRequest(ctx, info, &refreshToken{clientID: req.GetClientID(), subject: req.GetSubject(), scopes: req.GetScopes()}, req.GetScopes())
}
