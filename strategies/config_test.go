package strategies

import (
	"reflect"
	"strings"
	"testing"

	"github.com/custnet/custnet/datasets"
)

func TestExampleConfigIsTheDefault(t *testing.T) {
	got, err := LoadConfig("strategies.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("strategies.example.yaml differs from DefaultConfig():\n got %+v\nwant %+v", got, want)
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		err        string // substring of the error; "" for success
		check      func(t *testing.T, c *Config)
	}{
		{name: "an empty file gives the defaults", yaml: "",
			check: func(t *testing.T, c *Config) {
				if !reflect.DeepEqual(c, DefaultConfig()) {
					t.Error("not the default")
				}
			}},
		{name: "a weight overrides only its own default",
			yaml: "features:\n  pagerank: 3\nstrategies:\n  collaborate: 0.5\n",
			check: func(t *testing.T, c *Config) {
				if c.FeatureWeights["pagerank"] != 3 || c.FeatureWeights["shares"] != 1 {
					t.Errorf("feature weights %v", c.FeatureWeights)
				}
				if c.StrategyWeights[datasets.Collaborate] != 0.5 || c.StrategyWeights[datasets.Access] != 1 {
					t.Errorf("strategy weights %v", c.StrategyWeights)
				}
			}},
		{name: "an action can move to another strategy",
			yaml: "actions:\n  review: collaborate\n",
			check: func(t *testing.T, c *Config) {
				if c.Actions["review"] != datasets.Collaborate || c.Actions["share"] != datasets.Connect {
					t.Errorf("actions %v", c.Actions)
				}
			}},
		{name: "a misspelt feature is named with its line",
			yaml: "strategies:\n  access: 1\nfeatures:\n  shares: 2\n  pagernk: 1\n",
			err:  `strategies.yaml:5: unknown feature "pagernk"`},
		{name: "an unknown action is named with its line",
			yaml: "actions:\n  like: connect\n",
			err:  `strategies.yaml:2: unknown action "like"`},
		{name: "an unknown strategy for an action is an error",
			yaml: "actions:\n  share: sharing\n",
			err:  `strategies.yaml:2: action share: unknown strategy "sharing"`},
		{name: "an unknown strategy weight is an error",
			yaml: "strategies:\n  acess: 1\n",
			err:  `strategies.yaml:2: unknown strategy "acess"`},
		{name: "an unknown top-level key is named with its line",
			yaml: "head_share: 0.8\nweights:\n  a: 1\n",
			err:  `strategies.yaml:2: unknown key "weights"`},
		{name: "a negative weight is refused",
			yaml: "features:\n  shares: -1\n",
			err:  `strategies.yaml:2: weight -1 is not a finite number ≥ 0`},
		{name: "a weight that is not a number is refused",
			yaml: "features:\n  shares: lots\n",
			err:  `strategies.yaml:2: weight "lots" is not a number`},
		{name: "a strategy left without weighted features is refused",
			yaml: "features:\n  contributions: 0\n  votes_given: 0\n  uptake_received: 0\n  collaborators: 0\n",
			err:  `strategy collaborate has no feature with a positive weight`},
		{name: "a head share above 1 is refused",
			yaml: "head_share: 1.5\n",
			err:  `head_share 1.5 is not in (0, 1]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig(strings.NewReader(tc.yaml), "strategies.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestFeatureTableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	last := -1
	for _, f := range Features() {
		if seen[f.Name] {
			t.Errorf("feature %s defined twice", f.Name)
		}
		seen[f.Name] = true
		si := strategyIndex(f.Strategy)
		if si < last {
			t.Errorf("feature %s breaks the strategy order", f.Name)
		}
		last = si
		if f.Label == "" || f.Meaning == "" || f.Unit == "" || f.SQL == "" {
			t.Errorf("feature %s lacks a label, meaning, unit or SQL", f.Name)
		}
		if f.LowerIsBetter == f.Activity() {
			t.Errorf("feature %s: lower-is-better features gate on activity, the others on themselves", f.Name)
		}
	}
	for _, s := range datasets.Strategies {
		n := 0
		for _, f := range Features() {
			if f.Strategy == s && f.Activity() {
				n++
			}
		}
		if n == 0 {
			t.Errorf("strategy %s has no activity feature", s)
		}
	}
}

// FuzzParseConfig checks that any input either fails with an error or
// yields a configuration the scorer accepts.
func FuzzParseConfig(f *testing.F) {
	f.Add("features:\n  pagerank: 2\n")
	f.Add("actions:\n  review: collaborate\nhead_share: 0.5\n")
	f.Add("strategies: [1, 2]\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseConfig(strings.NewReader(in), "fuzz.yaml")
		if err != nil {
			return
		}
		if _, err := c.resolve(); err != nil {
			t.Fatalf("parsed config does not resolve: %v", err)
		}
	})
}
