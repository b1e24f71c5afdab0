package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/custnet/custnet/engine"
	"github.com/custnet/custnet/server"
)

// A customer records a consent decision with their own token, and cannot
// touch anybody else's.
func ExampleServer_Handler() {
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{}) // in memory
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	const operator = "an-operator-token-of-some-length"
	s, err := server.New(e, server.Options{OperatorToken: operator})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	call := func(method, path, token, body string) {
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Print(resp.StatusCode, " ", string(b))
	}
	// The operator mints customer 42's token and hands it to them.
	tok := mint(ts.URL, operator, "42")
	call("POST", "/v1/customers/42/consents", tok, `{"purpose":"analytics","granted":true,"source":"mobile app"}`)
	call("POST", "/v1/customers/43/consents", tok, `{"purpose":"analytics","granted":false}`)
	// Output:
	// 200 {"customer_id":"42","purpose":"analytics","granted":true}
	// 403 {"error":"this token does not give access to this resource","kind":"auth"}
}

// mint asks the server for a customer's token with the operator token.
func mint(base, operator, customer string) string {
	req, _ := http.NewRequest("POST", base+"/v1/customers/"+customer+"/token", nil)
	req.Header.Set("Authorization", "Bearer "+operator)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var tr server.TokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		log.Fatal(err)
	}
	return tr.Token
}

// A customer token is the customer id and an HMAC of it under the
// server's key.
func ExampleCustomerToken() {
	fmt.Println(server.CustomerToken([]byte("a secret key"), "42"))
	// Output:
	// 42.a503a260a5bdc9cf1670df8b30dfbfdaf192806f87bda3fc925d53ddadc2d0cb
}
