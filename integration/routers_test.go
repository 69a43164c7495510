package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/gorilla/mux"
)

// stamp is a middleware that sets a response header.
func stamp(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Stamp", "on")
		next.ServeHTTP(w, r)
	})
}

// TestChi: chi's router with its RequestID and Recoverer middleware and our
// own, URL parameters, its 404 and 405, and a panic recovered to 500.
func TestChi(t *testing.T) {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Recoverer, stamp)
	r.Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %s req %v", chi.URLParam(r, "id"), middleware.GetReqID(r.Context()) != "")
	})
	r.Post("/users", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	r.Get("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	base := serve(t, r)

	res, body := get(t, base+"/users/42")
	expect(t, "GET /users/42", res, body, 200, "user 42 req true")
	if res.Header.Get("X-Stamp") != "on" {
		t.Error("the middleware's header is missing")
	}
	res, _ = get(t, base+"/nowhere")
	if res.StatusCode != 404 {
		t.Errorf("unknown route: %d, want 404", res.StatusCode)
	}
	req, _ := http.NewRequest("DELETE", base+"/users/42", nil)
	res, _ = fetch(t, req)
	if res.StatusCode != 405 {
		t.Errorf("DELETE: %d, want 405", res.StatusCode)
	}
	req, _ = http.NewRequest("POST", base+"/users", strings.NewReader(`{"name":"x"}`))
	res, _ = fetch(t, req)
	if res.StatusCode != 201 {
		t.Errorf("POST: %d, want 201", res.StatusCode)
	}
	res, _ = get(t, base+"/panic")
	if res.StatusCode != 500 {
		t.Errorf("recovered panic: %d, want 500", res.StatusCode)
	}
}

// TestGorillaMux: path variables, method and host matchers, a subrouter
// with middleware.
func TestGorillaMux(t *testing.T) {
	r := mux.NewRouter()
	r.HandleFunc("/items/{id:[0-9]+}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s", mux.Vars(r)["id"])
	}).Methods("GET")
	r.Host("api.example").Path("/host").HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "api host")
	})
	api := r.PathPrefix("/v1").Subrouter()
	api.Use(mux.MiddlewareFunc(stamp))
	api.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pong") })
	base := serve(t, r)

	res, body := get(t, base+"/items/7")
	expect(t, "GET /items/7", res, body, 200, "item 7")
	res, _ = get(t, base+"/items/x")
	if res.StatusCode != 404 {
		t.Errorf("a variable that does not match: %d, want 404", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", base+"/host", nil)
	req.Host = "api.example"
	res, body = fetch(t, req)
	expect(t, "host matcher", res, body, 200, "api host")
	res, body = get(t, base+"/v1/ping")
	expect(t, "subrouter", res, body, 200, "pong")
	if res.Header.Get("X-Stamp") != "on" {
		t.Error("the subrouter's middleware did not run")
	}
}
