package main

import (
	"fmt"
	"os"
	"time"

	"github.com/shandong-emergency/chemguard/governancesvc"
)

// governanceFromEnv reads the data-quality governance settings (issue 6).
func governanceFromEnv(cfg *governancesvc.Config) error {
	for _, d := range []struct {
		env string
		dst *time.Duration
	}{{"CHEMGUARD_GOVERNANCE_TICK", &cfg.Tick}, {"CHEMGUARD_GOVERNANCE_SCORE_EVERY", &cfg.ScoreEvery},
		{"CHEMGUARD_GOVERNANCE_FINALIZE_AFTER", &cfg.FinalizeAfter}} {
		if s := os.Getenv(d.env); s != "" {
			v, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("%s: %w", d.env, err)
			}
			*d.dst = v
		}
	}
	if p := os.Getenv("CHEMGUARD_GOVERNANCE_CONFIG"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("CHEMGUARD_GOVERNANCE_CONFIG: %w", err)
		}
		if cfg.Rules, err = governancesvc.LoadRules(b); err != nil {
			return fmt.Errorf("CHEMGUARD_GOVERNANCE_CONFIG %s: %w", p, err)
		}
	}
	return cfg.Validate()
}
