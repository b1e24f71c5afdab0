package strategies

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/custnet/custnet/datasets"
)

// Config holds the scoring weights and the action → strategy mapping. The
// zero value (and a nil *Config) means the defaults of [DefaultConfig]. A
// Config is read-only once passed to [FeatureSQL] or [Score] and may then be
// shared between goroutines.
type Config struct {
	// StrategyWeights weighs the five strategies in the composite score.
	// A strategy missing from the map (or a nil map) weighs 1; 0 leaves it
	// out of the composite. At least one weight must be positive.
	StrategyWeights map[datasets.Strategy]float64
	// FeatureWeights weighs each feature (by [Feature.Name]) within its
	// strategy. A missing feature (or a nil map) takes its default weight
	// from [DefaultConfig]; 0 leaves it out.
	// Every strategy needs one positive weight.
	FeatureWeights map[string]float64
	// Actions overrides the strategy of vocabulary actions (see
	// [datasets.Vocabulary]); actions not named keep their vocabulary
	// strategy. The mapping decides which actions count as access visits,
	// engage (content) events, connect links and collaborate events;
	// features that name one action (ratings counts "rate", shares counts
	// "share", calls drive self-service) keep it whatever the mapping.
	Actions map[string]datasets.Strategy
	// HeadShare is the share of all item consumption that the most popular
	// ("head") items make up, for back_catalogue_share. 0 means 0.8
	// (Netflix's Cinematch measure); otherwise it must be in (0, 1].
	HeadShare float64
}

// DefaultConfig returns the default configuration written out in full:
// every strategy and feature weighing 1 except votes_given (0.5), the
// vocabulary's action mapping, and a head share of 0.8.
//
// A vote is the lightest collaboration, one click; with equal weights a
// customer with one contribution and one vote outranked the Beer Stack
// Exchange's most accepted answerer, who never voted (see
// TestStackExchangeCollaborate). Half a weight keeps the busiest
// contributors in the top decile.
func DefaultConfig() *Config {
	c := &Config{
		StrategyWeights: make(map[datasets.Strategy]float64, len(datasets.Strategies)),
		FeatureWeights:  make(map[string]float64, len(features)),
		Actions:         make(map[string]datasets.Strategy),
		HeadShare:       0.8,
	}
	for _, s := range datasets.Strategies {
		c.StrategyWeights[s] = 1
	}
	for _, f := range features {
		c.FeatureWeights[f.Name] = defaultFeatureWeight(f.Name)
	}
	for _, a := range datasets.Vocabulary() {
		c.Actions[a.Name] = a.Strategy
	}
	return c
}

// resolved is a validated Config with every default filled in.
type resolved struct {
	strategyW [5]float64
	featureW  []float64 // by feature index
	actions   map[datasets.Strategy][]string
	headShare float64
}

func (c *Config) resolve() (*resolved, error) {
	if c == nil {
		c = &Config{}
	}
	r := &resolved{featureW: make([]float64, len(features)), actions: map[datasets.Strategy][]string{}}
	pos := 0.0
	for i, s := range datasets.Strategies {
		w, ok := c.StrategyWeights[s]
		if !ok {
			w = 1
		}
		if err := checkWeight(w); err != nil {
			return nil, fmt.Errorf("strategy %s: %w", s, err)
		}
		r.strategyW[i] = w
		pos += w
	}
	for s := range c.StrategyWeights {
		if strategyIndex(s) < 0 {
			return nil, fmt.Errorf("unknown strategy %q", s)
		}
	}
	if pos == 0 {
		return nil, errors.New("no strategy has a positive weight")
	}
	for name, w := range c.FeatureWeights {
		if _, ok := featureIndex[name]; !ok {
			return nil, fmt.Errorf("unknown feature %q", name)
		}
		if err := checkWeight(w); err != nil {
			return nil, fmt.Errorf("feature %s: %w", name, err)
		}
	}
	var sum [5]float64
	for i, f := range features {
		w, ok := c.FeatureWeights[f.Name]
		if !ok {
			w = defaultFeatureWeight(f.Name)
		}
		r.featureW[i] = w
		sum[strategyIndex(f.Strategy)] += w
	}
	for i, s := range datasets.Strategies {
		if sum[i] == 0 {
			return nil, fmt.Errorf("strategy %s has no feature with a positive weight", s)
		}
	}
	for _, a := range datasets.Vocabulary() {
		s := a.Strategy
		if o, ok := c.Actions[a.Name]; ok {
			s = o
		}
		r.actions[s] = append(r.actions[s], a.Name)
	}
	for name, s := range c.Actions {
		if _, ok := datasets.LookupAction(name); !ok {
			return nil, fmt.Errorf("unknown action %q", name)
		}
		if strategyIndex(s) < 0 && s != datasets.Commerce {
			return nil, fmt.Errorf("action %s: unknown strategy %q", name, s)
		}
	}
	for _, names := range r.actions {
		slices.Sort(names)
	}
	r.headShare = c.HeadShare
	if r.headShare == 0 {
		r.headShare = 0.8
	}
	if !(r.headShare > 0 && r.headShare <= 1) {
		return nil, fmt.Errorf("head share %v is not in (0, 1]", c.HeadShare)
	}
	return r, nil
}

// defaultFeatureWeight is the weight [DefaultConfig] gives a feature.
func defaultFeatureWeight(name string) float64 {
	if name == "votes_given" {
		return 0.5
	}
	return 1
}

func checkWeight(w float64) error {
	if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return fmt.Errorf("weight %v is not a finite number ≥ 0", w)
	}
	return nil
}

// configFile is the YAML layout; each section is walked by hand so that an
// unknown name can be reported with its line.
type configFile struct {
	HeadShare  *float64  `yaml:"head_share"`
	Strategies yaml.Node `yaml:"strategies"`
	Features   yaml.Node `yaml:"features"`
	Actions    yaml.Node `yaml:"actions"`
}

// LoadConfig reads a YAML configuration file; see [ParseConfig].
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load strategies config: %w", err)
	}
	defer f.Close()
	return ParseConfig(f, path)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// ParseConfig reads a YAML configuration (layout in strategies.example.yaml:
// head_share, strategies, features, actions; every section optional).
// Values not given keep the defaults of [DefaultConfig]. Unknown keys,
// features, strategies and actions are errors naming the line, e.g.
// `strategies.yaml:7: unknown feature "pagernk"`; name is the file name used
// in messages.
func ParseConfig(r io.Reader, name string) (*Config, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var f configFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return DefaultConfig(), nil
		}
		return nil, yamlError(name, err)
	}
	c := DefaultConfig()
	if f.HeadShare != nil {
		c.HeadShare = *f.HeadShare
		if !(c.HeadShare > 0 && c.HeadShare <= 1) {
			return nil, fmt.Errorf("%s: head_share %v is not in (0, 1]", name, c.HeadShare)
		}
	}
	err := eachPair(name, &f.Strategies, func(k, v *yaml.Node) error {
		s := datasets.Strategy(k.Value)
		if strategyIndex(s) < 0 {
			return fmt.Errorf("unknown strategy %q", k.Value)
		}
		w, err := weight(v)
		c.StrategyWeights[s] = w
		return err
	})
	if err != nil {
		return nil, err
	}
	err = eachPair(name, &f.Features, func(k, v *yaml.Node) error {
		if _, ok := featureIndex[k.Value]; !ok {
			return fmt.Errorf("unknown feature %q", k.Value)
		}
		w, err := weight(v)
		c.FeatureWeights[k.Value] = w
		return err
	})
	if err != nil {
		return nil, err
	}
	err = eachPair(name, &f.Actions, func(k, v *yaml.Node) error {
		if _, ok := datasets.LookupAction(k.Value); !ok {
			return fmt.Errorf("unknown action %q", k.Value)
		}
		s := datasets.Strategy(v.Value)
		if v.Kind != yaml.ScalarNode || (strategyIndex(s) < 0 && s != datasets.Commerce) {
			return fmt.Errorf("action %s: unknown strategy %q", k.Value, v.Value)
		}
		c.Actions[k.Value] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := c.resolve(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// eachPair calls f for every key and value of a mapping section, prefixing
// errors with name:line.
func eachPair(name string, n *yaml.Node, f func(k, v *yaml.Node) error) error {
	if n.Kind == 0 {
		return nil // section absent
	}
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return nil
		}
		return fmt.Errorf("%s:%d: expected a mapping", name, n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := f(k, v); err != nil {
			return fmt.Errorf("%s:%d: %w", name, k.Line, err)
		}
	}
	return nil
}

func weight(v *yaml.Node) (float64, error) {
	var w float64
	if v.Kind != yaml.ScalarNode || v.Decode(&w) != nil {
		return 0, fmt.Errorf("weight %q is not a number", v.Value)
	}
	return w, checkWeight(w)
}

// yamlError rewrites yaml's "line N: ..." messages as "name:N: ...".
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			msg := g[2]
			if k, ok := strings.CutPrefix(msg, "field "); ok {
				if k, _, ok := strings.Cut(k, " not found"); ok {
					msg = fmt.Sprintf("unknown key %q", k)
				}
			}
			out = append(out, fmt.Sprintf("%s:%s: %s", name, g[1], msg))
			continue
		}
		out = append(out, name+": "+m)
	}
	return errors.New(strings.Join(out, "; "))
}
