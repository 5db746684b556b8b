package secret

import "sync"

// MemoryStore is an in-memory Store for unit tests and for measuring the rest of the
// code without a keyring. It counts reads so tests can hold the token path to one.
type MemoryStore struct {
	mu     sync.Mutex
	values map[string]string
	Reads  int
	// Fail, when set, is returned by every call (to play an unreachable keyring).
	Fail error
}

func NewMemoryStore() *MemoryStore { return &MemoryStore{values: map[string]string{}} }

func (m *MemoryStore) Get(key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Reads++
	if m.Fail != nil {
		return "", m.Fail
	}
	v, ok := m.values[key]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (m *MemoryStore) Set(key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	m.values[key] = value
	return nil
}

func (m *MemoryStore) Delete(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	delete(m.values, key)
	return nil
}

// Keys lists what is stored, for tests that check nothing is left behind.
func (m *MemoryStore) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.values))
	for k := range m.values {
		keys = append(keys, k)
	}
	return keys
}
