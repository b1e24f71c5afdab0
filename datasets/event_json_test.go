package datasets

import (
	"strings"
	"testing"
	"time"
)

func TestJSONEventParser(t *testing.T) {
	p := NewJSONEventParser()
	t.Run("an event gets its fields and the id of the events format", func(t *testing.T) {
		var e Event
		if r := p.Parse([]byte(`{"customer_id":" c1 ","action":"Rate","at":"2024-05-01T12:00:00Z","channel":"WEB","item_id":"i9","value":4.5,"event_id":123}`), &e); r != "" {
			t.Fatal(r)
		}
		want := Event{Customer: "c1", Action: "rate", Channel: "web", Item: "i9", Value: 4.5, HasValue: true,
			At: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixMicro(), HasAt: true}
		want.ID = EventID("events", &want)
		if e != want {
			t.Fatalf("got %+v\nwant %+v", e, want)
		}
	})
	bad := []struct{ name, obj, reason string }{
		{"not an object", `["c1","view"]`, "not a JSON object"},
		{"an unknown field", `{"customer_id":"c1","action":"view","colour":"red"}`, `unknown fields "colour"`},
		{"a nested value", `{"customer_id":"c1","action":"view","item_id":{"id":1}}`, `field "item_id" is not a string, number or null`},
		{"no customer", `{"action":"view"}`, "customer_id is empty"},
		{"an action outside the vocabulary", `{"customer_id":"c1","action":"fly"}`, `action "fly" is not in the vocabulary`},
		{"a value that is not a number", `{"customer_id":"c1","action":"rate","value":"five"}`, `value "five" is not a number`},
		{"a time in the far future", `{"customer_id":"c1","action":"view","at":"2999-01-01"}`, "more than a day in the future"},
	}
	for _, tc := range bad {
		t.Run(tc.name+" is refused with its reason", func(t *testing.T) {
			var e Event
			if r := p.Parse([]byte(tc.obj), &e); !strings.Contains(r, tc.reason) {
				t.Fatalf("reason %q, want one with %q", r, tc.reason)
			}
		})
	}
}

func TestCheckEvent(t *testing.T) {
	now := time.Now().UnixMicro()
	tests := []struct {
		name   string
		e      Event
		reason string
	}{
		{"a plain event passes", Event{Customer: "c", Action: "view"}, ""},
		{"an empty customer", Event{Customer: " ", Action: "view"}, "customer_id is empty"},
		{"an empty action", Event{Customer: "c"}, "action is empty"},
		{"an action outside the vocabulary", Event{Customer: "c", Action: "Fly"}, `action "Fly" is not in the vocabulary`},
		{"invalid UTF-8", Event{Customer: "c\xff", Action: "view"}, "customer_id is not valid UTF-8"},
		{"a NUL character", Event{Customer: "c", Action: "follow", Peer: "p\x00"}, "peer_id contains a NUL character"},
		{"a peer on an action that takes none", Event{Customer: "c", Action: "purchase", Item: "i", Peer: "p"}, "action purchase takes no peer_id"},
		{"a peer on a connect action passes", Event{Customer: "c", Action: "trust", Peer: "p"}, ""},
		{"a time before 1970", Event{Customer: "c", Action: "view", At: -1, HasAt: true}, "before 1970"},
		{"a time two days ahead", Event{Customer: "c", Action: "view", At: now + 48*3600*1e6, HasAt: true}, "more than a day in the future"},
		{"a time an hour ahead passes", Event{Customer: "c", Action: "view", At: now + 3600*1e6, HasAt: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckEvent(&tc.e)
			if tc.reason == "" && r != "" || !strings.Contains(r, tc.reason) {
				t.Fatalf("reason %q, want %q", r, tc.reason)
			}
		})
	}
}
