package simtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
)

// Bulk creates objs on route ("dcim/devices") in one request that goes
// to the simulator directly, around the OpenAPI check, and returns their
// ids in order; any answer but 201 fails t. It is for setting up many
// objects (a thousand devices): checking that exchange against the
// document costs seconds and tests nothing the test is about. The
// simulator's own rules still apply, and the request is in its log.
func (s *Server) Bulk(t TB, route string, objs []map[string]any) []int64 {
	t.Helper()
	if len(objs) == 0 {
		return nil
	}
	body, err := json.Marshal(objs)
	if err != nil {
		t.Fatalf("encoding %s: %v", route, err)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/"+route+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Token "+s.Token)
	rec := httptest.NewRecorder()
	s.Sim.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", route, rec.Code, rec.Body.Bytes())
	}
	var created []struct{ ID int64 }
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatalf("POST %s: %v", route, err)
	}
	ids := make([]int64, len(created))
	for i, c := range created {
		ids[i] = c.ID
	}
	return ids
}
