package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// GroupOffsets are a consumer group's committed offsets: topic → partition → the
// next offset the group will read. Partitions the group never committed are absent.
type GroupOffsets map[string]map[int]int64

// FetchGroupOffsets reads the committed offsets of group.
func FetchGroupOffsets(ctx context.Context, cfg Config, group string) (GroupOffsets, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 10 * time.Second, Transport: cfg.transport()}
	resp, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group}) // nil topics: all of them
	if err != nil {
		return nil, fmt.Errorf("bus: offsets of group %s: %w", group, err)
	}
	if errors.Is(resp.Error, kafka.GroupIdNotFound) {
		return GroupOffsets{}, nil // the group never committed: nothing to keep
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("bus: offsets of group %s: %w", group, resp.Error)
	}
	out := GroupOffsets{}
	for topic, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return nil, fmt.Errorf("bus: offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
			}
			if p.CommittedOffset < 0 {
				continue // no commit
			}
			if out[topic] == nil {
				out[topic] = map[int]int64{}
			}
			out[topic][p.Partition] = p.CommittedOffset
		}
	}
	return out, nil
}

// ErrGroupActive is returned by ResetGroupOffsets while the group still has members.
var ErrGroupActive = errors.New("bus: the consumer group still has members (stop every chemguard serve first)")

// ResetGroupOffsets sets group's committed offsets to want, as an administrator
// does on a group no process consumes in (a "simple" commit, generation -1): every
// partition in want gets its offset; every partition the group has committed now
// but want does not name goes back to the start of its log, so it is read again
// rather than skipped. The broker refuses while the group has members: that is
// ErrGroupActive, and the caller waits for their sessions to expire.
func ResetGroupOffsets(ctx context.Context, cfg Config, group string, want GroupOffsets) error {
	now, err := FetchGroupOffsets(ctx, cfg, group)
	if err != nil {
		return err
	}
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 10 * time.Second, Transport: cfg.transport()}
	commits := map[string][]kafka.OffsetCommit{}
	firsts := map[string][]kafka.OffsetRequest{}
	for topic, parts := range want {
		for p, off := range parts {
			commits[topic] = append(commits[topic], kafka.OffsetCommit{Partition: p, Offset: off})
		}
	}
	for topic, parts := range now {
		for p := range parts {
			if _, ok := want[topic][p]; !ok {
				firsts[topic] = append(firsts[topic], kafka.FirstOffsetOf(p))
			}
		}
	}
	if len(firsts) > 0 {
		lo, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: firsts})
		if err != nil {
			return fmt.Errorf("bus: first offsets: %w", err)
		}
		for topic, parts := range lo.Topics {
			for _, p := range parts {
				if p.Error != nil {
					return fmt.Errorf("bus: first offset of %s/%d: %w", topic, p.Partition, p.Error)
				}
				commits[topic] = append(commits[topic], kafka.OffsetCommit{Partition: p.Partition, Offset: p.FirstOffset})
			}
		}
	}
	if len(commits) == 0 {
		return nil
	}
	resp, err := client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, Topics: commits})
	if err != nil {
		return fmt.Errorf("bus: reset offsets of group %s: %w", group, err)
	}
	for topic, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error == nil {
				continue
			}
			if errors.Is(p.Error, kafka.IllegalGeneration) || errors.Is(p.Error, kafka.UnknownMemberId) ||
				errors.Is(p.Error, kafka.RebalanceInProgress) {
				return fmt.Errorf("%w: %s: %v", ErrGroupActive, group, p.Error)
			}
			return fmt.Errorf("bus: reset offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
		}
	}
	return nil
}
