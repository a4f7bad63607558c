package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const accessTokenType = "access"

// ErrInvalidToken is any access token the service did not issue, or no longer accepts.
var ErrInvalidToken = errors.New("invalid access token")

// Tokens issues and verifies access tokens: HS256 JWTs with iss, aud, sub, exp, iat, jti, typ.
type Tokens struct {
	secret   []byte
	issuer   string
	audience string
	ttl      time.Duration
	parser   *jwt.Parser
}

// NewTokens returns a token issuer and verifier for one secret, issuer and audience.
func NewTokens(secret, issuer, audience string, ttl time.Duration) *Tokens {
	return &Tokens{
		secret:   []byte(secret),
		issuer:   issuer,
		audience: audience,
		ttl:      ttl,
		// The algorithm is pinned here, never taken from the token's header.
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
		),
	}
}

type accessClaims struct {
	Type string `json:"typ"`
	jwt.RegisteredClaims
}

// TTL is the lifetime of the access tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a signed access token for the user.
func (t *Tokens) Issue(userID uuid.UUID, now time.Time) (string, error) {
	claims := accessClaims{
		Type: accessTokenType,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.audience},
			Subject:   userID.String(),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return signed, nil
}

// Verify returns the user id of a valid access token, or ErrInvalidToken.
func (t *Tokens) Verify(token string) (uuid.UUID, error) {
	var claims accessClaims
	_, err := t.parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.secret, nil })
	if err != nil || claims.Type != accessTokenType || claims.ID == "" || claims.IssuedAt == nil {
		return uuid.Nil, ErrInvalidToken
	}
	userID, err := uuid.Parse(claims.Subject)
	if err != nil {
		return uuid.Nil, ErrInvalidToken
	}
	return userID, nil
}

// newRefreshToken returns an opaque random token and the hash under which it is stored.
func newRefreshToken() (token, hash string, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("refresh token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	return token, hashRefreshToken(token), nil
}

func hashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
