package netbox

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedactor(t *testing.T) {
	const (
		v1     = "0123456789abcdef0123456789abcdef01234567"
		key    = "AbCdEf012345"
		secret = "5f1e2d3c4b5a69788796a5b4c3d2e1f0deadbeef"
		v2     = "nbt_" + key + "." + secret
	)
	r := NewRedactor(v1, v2)
	for _, tt := range []struct{ name, in, want string }{
		{"v1 whole", "bad token " + v1 + ".", "bad token [REDACTED]."},
		{"v1 upper case", "TOKEN " + strings.ToUpper(v1), "TOKEN [REDACTED]"},
		{"v1 cut in half", "token " + v1[:20] + "…", "token [REDACTED]…"},
		{"v1 second half", "…" + v1[20:], "…[REDACTED]"},
		{"v2 whole", "Bearer " + v2, "Bearer nbt_[REDACTED].[REDACTED]"},
		{"v2 secret alone", "secret " + secret + " is wrong", "secret [REDACTED] is wrong"},
		{"v2 key alone", "unknown key " + key, "unknown key [REDACTED]"},
		{"v2 key inside a word", "key=" + key + "x", "key=[REDACTED]"},
		{"a fragment of the secret", "…" + secret[10:26] + "…", "…[REDACTED]…"},
		{"ordinary text", "No Device matches the given query.", "No Device matches the given query."},
		{"short shared stretch", "0123456789a is not it", "0123456789a is not it"},
		{"json", `{"detail": "Invalid v2 token ` + v2 + `"}`, `{"detail": "Invalid v2 token nbt_[REDACTED].[REDACTED]"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, r.String(tt.in))
			assert.Equal(t, tt.want, string(r.Bytes([]byte(tt.in))))
		})
	}

	var none *Redactor
	assert.Equal(t, "x "+v1, none.String("x "+v1), "a nil redactor redacts nothing")
	assert.Equal(t, "abc", NewRedactor("").String("abc"))
	short := NewRedactor("nbt_ab.0123456789abcdef0123456789abcdef01234567")
	assert.Equal(t, "ab [REDACTED]", short.String("ab 0123456789abcdef0123456789abcdef01234567"), "a key too short to identify is left alone")
}

// An answer that echoes any part of the token, in an error or in the data
// of a success, reaches no error and no value the client returns.
func TestTokenPartsNeverLeaveTheClient(t *testing.T) {
	_, secret, _ := strings.Cut(testTokenV2, ".")
	key := strings.TrimPrefix(strings.Split(testTokenV2, ".")[0], "nbt_")
	echoes := map[string]string{
		"the v2 secret":           secret,
		"the v2 key":              key,
		"half the v2 secret":      secret[:len(secret)/2],
		"the v1 token's 2nd half": testToken[20:],
	}
	for name, echo := range echoes {
		t.Run(name, func(t *testing.T) {
			for _, status := range []int{400, 403, 404, 500} {
				f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
					if status == 400 {
						writeJSON(w, status, map[string]any{"name": []string{"bad " + echo}})
						return
					}
					writeJSON(w, status, map[string]any{"detail": "Invalid token " + echo})
				})
				for _, token := range []string{testToken, testTokenV2} {
					c, err := New(fastRetries(Config{URL: f.URL, Token: token}))
					require.NoError(t, err)
					err = c.doJSON(context.Background(), http.MethodGet, "/api/dcim/devices/7/", nil, nil, &struct{}{})
					require.Error(t, err)
					if strings.Contains(token, echo) {
						assert.NotContains(t, err.Error(), echo, "status %d", status)
						assert.Contains(t, err.Error(), redacted)
					}
				}
			}
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				d := deviceJSON(7, "web01", 1, "dc1")
				d["description"] = "copied from " + echo
				d["comments"] = echo
				writeJSON(w, http.StatusOK, d)
			})
			for _, token := range []string{testToken, testTokenV2} {
				if !strings.Contains(token, echo) {
					continue
				}
				c, err := New(fastRetries(Config{URL: f.URL, Token: token}))
				require.NoError(t, err)
				var out map[string]any
				require.NoError(t, c.doJSON(context.Background(), http.MethodGet, "/api/dcim/devices/7/", nil, nil, &out))
				assert.Equal(t, "copied from "+redacted, out["description"])
				assert.Equal(t, redacted, out["comments"])
			}
		})
	}
}

// The client redacts every answer as it arrives: what that costs a page of
// 1000 interfaces.
func BenchmarkRedactorBody(b *testing.B) {
	r := NewRedactor("0123456789abcdef0123456789abcdef01234567")
	body := []byte(strings.Repeat(`{"id": 12345, "name": "eth0", "mac_address": "AA:BB:CC:DD:EE:FF", "description": "uplink to the core switch", "url": "https://netbox.example.com/api/dcim/interfaces/12345/"},`, 1000))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r.Bytes(body)
	}
}
