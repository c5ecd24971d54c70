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

// GroupMember is one consumer of a group and the topic partitions assigned to it.
type GroupMember struct {
	ID, Host   string
	Partitions map[string][]int // topic → partitions
}

// DescribeGroup lists group's members with their assignments (none while the group
// rebalances or is empty).
func DescribeGroup(ctx context.Context, cfg Config, group string) ([]GroupMember, error) {
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 10 * time.Second, Transport: cfg.transport()}
	resp, err := client.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return nil, fmt.Errorf("bus: describe group %s: %w", group, err)
	}
	var out []GroupMember
	for _, g := range resp.Groups {
		if g.Error != nil {
			return nil, fmt.Errorf("bus: describe group %s: %w", group, g.Error)
		}
		for _, m := range g.Members {
			gm := GroupMember{ID: m.MemberID, Host: m.ClientHost, Partitions: map[string][]int{}}
			for _, t := range m.MemberAssignments.Topics {
				gm.Partitions[t.Topic] = append(gm.Partitions[t.Topic], t.Partitions...)
			}
			out = append(out, gm)
		}
	}
	return out, nil
}

// GroupLag is how many messages of topics group has not committed yet: for each
// partition, the log's end offset minus the group's committed offset (the whole log
// when it never committed there).
func GroupLag(ctx context.Context, cfg Config, group string, topics []string) (int64, error) {
	committed, err := FetchGroupOffsets(ctx, cfg, group)
	if err != nil {
		return 0, err
	}
	client := &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 10 * time.Second, Transport: cfg.transport()}
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return 0, fmt.Errorf("bus: metadata: %w", err)
	}
	req := map[string][]kafka.OffsetRequest{}
	for _, t := range meta.Topics {
		for _, p := range t.Partitions {
			req[t.Name] = append(req[t.Name], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	lo, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: req})
	if err != nil {
		return 0, fmt.Errorf("bus: list offsets: %w", err)
	}
	var lag int64
	for topic, parts := range lo.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return 0, fmt.Errorf("bus: offsets of %s/%d: %w", topic, p.Partition, p.Error)
			}
			from, ok := committed[topic][p.Partition]
			if !ok {
				from = p.FirstOffset
			}
			lag += max(p.LastOffset-from, 0)
		}
	}
	return lag, nil
}
