package datasets

import (
	"fmt"
	"sort"
)

// Strategy is one of David Rogers' five customer-network strategies, or
// commerce for purchases and returns, which feed several of them.
type Strategy string

// The strategies an action can belong to.
const (
	Access      Strategy = "access"
	Engage      Strategy = "engage"
	Customize   Strategy = "customize"
	Connect     Strategy = "connect"
	Collaborate Strategy = "collaborate"
	Commerce    Strategy = "commerce"
)

// Strategies lists the five network strategies in Rogers' order (commerce is
// not one of them).
var Strategies = []Strategy{Access, Engage, Customize, Connect, Collaborate}

// Action is one entry of the vocabulary: its name, the strategy it feeds, and
// what the optional value and peer columns of an event with this action mean.
type Action struct {
	Name     string
	Strategy Strategy
	Meaning  string
	Value    string // meaning of events.value, "" when unused
	Peer     bool   // whether events.peer_id names the other customer
}

// vocabulary is the one place where the action vocabulary is defined.
var vocabulary = []Action{
	{"visit", Access, "opened a page or site session", "", false},
	{"login", Access, "signed in", "", false},
	{"app_open", Access, "opened the mobile or desktop app", "", false},
	{"search", Access, "searched the catalogue", "", false},
	{"call", Access, "contacted the call centre (assisted, not self-service)", "call minutes", false},

	{"view", Engage, "viewed a content item", "dwell seconds", false},
	{"watch", Engage, "watched a video item", "seconds watched", false},
	{"read", Engage, "read an article or post", "dwell seconds", false},
	{"click", Engage, "clicked through to an item", "", false},
	{"dwell", Engage, "time spent on an item, reported separately", "dwell seconds", false},

	{"rate", Customize, "rated an item", "rating on the source's scale", false},
	{"set_preference", Customize, "set a preference or profile option", "", false},
	{"show_recommendation", Customize, "was shown a recommended item", "", false},
	{"accept_recommendation", Customize, "accepted (clicked, bought, watched) a recommended item", "", false},
	{"dismiss_recommendation", Customize, "dismissed a recommended item", "", false},

	{"share", Connect, "shared an item with another customer", "", true},
	{"comment", Connect, "commented on an item or a customer's post", "", true},
	{"reply", Connect, "replied to another customer", "", true},
	{"follow", Connect, "followed another customer", "", true},
	{"trust", Connect, "declared trust in another customer", "trust level", true},
	{"refer", Connect, "referred another customer", "", true},
	{"mention", Connect, "mentioned another customer", "", true},
	{"review", Connect, "published a review others can read", "review score", false},

	{"contribute", Collaborate, "contributed content (a question, a post, an idea thread)", "score given by others", false},
	{"edit", Collaborate, "edited shared content", "", true},
	{"answer", Collaborate, "answered another customer's question", "answer score", true},
	{"vote", Collaborate, "voted on another customer's contribution (an accepted answer is a vote by the asker)", "vote weight", true},
	{"idea", Collaborate, "submitted a product idea", "", false},

	{"purchase", Commerce, "bought an item", "amount paid", false},
	{"return", Commerce, "returned an item", "amount refunded", false},
}

var byName = func() map[string]*Action {
	m := make(map[string]*Action, len(vocabulary))
	for i := range vocabulary {
		m[vocabulary[i].Name] = &vocabulary[i]
	}
	return m
}()

// Vocabulary returns the action vocabulary, ordered by strategy then name as
// defined. The returned slice is a copy.
func Vocabulary() []Action {
	out := make([]Action, len(vocabulary))
	copy(out, vocabulary)
	return out
}

// peerReason returns "" or why an event of action a cannot carry the
// peer_id peer: only actions whose peer_id names another customer (the
// connect and collaborate actions marked Peer) take one, and those are the
// links of the customer network.
func peerReason(a *Action, peer string) string {
	if peer != "" && !a.Peer {
		return fmt.Sprintf("action %s takes no peer_id (got %q): only connect and collaborate actions with another customer do", a.Name, peer)
	}
	return ""
}

// LookupAction returns the vocabulary entry for name.
func LookupAction(name string) (Action, bool) {
	a, ok := byName[name]
	if !ok {
		return Action{}, false
	}
	return *a, true
}

// ActionNames returns every action name, sorted.
func ActionNames() []string {
	out := make([]string, 0, len(vocabulary))
	for _, a := range vocabulary {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

// Channels are the channel names custnet's own adapters and generator use.
// Sources may bring others; they are stored as given (lower-cased).
var Channels = []string{"web", "mobile", "app", "store", "call_center", "email"}
