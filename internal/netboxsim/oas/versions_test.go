package oas

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAsIn43(t *testing.T) {
	tests := []struct {
		name, version, target, auth string
		wantQuery, wantAuth         string
	}{
		{"4.3 as it is", "4.3.7", "/api/ipam/ip-addresses/?assigned_object_type=4&limit=5", "Token abc", "assigned_object_type=4&limit=5", "Token abc"},
		{"4.4.3 still takes an id", "4.4.3", "/api/dcim/mac-addresses/?assigned_object_type=4", "Token abc", "assigned_object_type=4", "Token abc"},
		{"4.4.4 takes app.model", "4.4.4", "/api/dcim/mac-addresses/?assigned_object_type=dcim.interface&limit=5", "Token abc", "limit=5", "Token abc"},
		{"only on IPs and MACs", "4.6.8", "/api/extras/journal-entries/?assigned_object_type=dcim.device", "Token abc", "assigned_object_type=dcim.device", "Token abc"},
		{"v2 token from 4.5", "4.5.10", "/api/dcim/devices/", "Bearer nbt_k.t", "", "Token nbt_k.t"},
		{"both", "4.6.8", "/api/ipam/ip-addresses/?assigned_object_type=dcim.interface", "Bearer nbt_k.t", "", "Token nbt_k.t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			r.Header.Set("Authorization", tt.auth)
			before := r.URL.RawQuery
			c := asIn43(tt.version, r)
			assert.Equal(t, tt.wantQuery, c.URL.RawQuery)
			assert.Equal(t, tt.wantAuth, c.Header.Get("Authorization"))
			assert.Equal(t, before, r.URL.RawQuery, "the request served is left alone")
			assert.Equal(t, tt.auth, r.Header.Get("Authorization"))
		})
	}
}
