package harness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// TestKey is an ES256 key for minting test tokens; its public JWK goes into a policy.
type TestKey struct {
	Kid  string
	priv *ecdsa.PrivateKey
}

// NewTestKey generates a P-256 key.
func NewTestKey(kid string) (*TestKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &TestKey{Kid: kid, priv: priv}, nil
}

var b64 = base64.RawURLEncoding

// JWK is the public key as a policy lists it.
func (k *TestKey) JWK() map[string]any {
	// Uncompressed point: 0x04 || X || Y, 32 bytes each for P-256.
	point, err := k.priv.PublicKey.Bytes()
	if err != nil || len(point) != 65 {
		return nil
	}
	return map[string]any{
		"kty": "EC", "crv": "P-256", "kid": k.Kid,
		"x": b64.EncodeToString(point[1:33]), "y": b64.EncodeToString(point[33:]),
	}
}

// Sign makes a compact JWS (ES256) over the claims.
func (k *TestKey) Sign(claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]any{"alg": "ES256", "typ": "JWT", "kid": k.Kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64.EncodeToString(sig), nil
}

// Token is what a test token says.
type Token struct {
	Issuer, Audience, Client, Scope string
	IssuedAt                        time.Time
	TTL                             time.Duration
}

// Mint signs a token with iss, aud, client_id, scope, iat and exp.
func (k *TestKey) Mint(t Token) (string, error) {
	if t.IssuedAt.IsZero() {
		t.IssuedAt = time.Now()
	}
	if t.TTL == 0 {
		t.TTL = 15 * time.Minute
	}
	claims := map[string]any{
		"iss": t.Issuer, "aud": t.Audience, "sub": t.Client, "client_id": t.Client,
		"scope": t.Scope, "iat": t.IssuedAt.Unix(), "exp": t.IssuedAt.Add(t.TTL).Unix(),
	}
	return k.Sign(claims)
}

// MustMint is Mint for tests, where a signing failure is a bug.
func (k *TestKey) MustMint(t Token) string {
	tok, err := k.Mint(t)
	if err != nil {
		panic(fmt.Sprintf("minting a test token: %v", err))
	}
	return tok
}
