package keyring

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func b64(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, KeySize)) }

func TestLoadGeneratesThePrivateDefaultOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r, err := Load(Source{DataDir: dir})
	require.NoError(t, err)
	require.Equal(t, []string{"k1"}, r.IDs())
	fi, err := os.Stat(filepath.Join(dir, DefaultFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the key file is the owner's only")

	id, sealed, err := r.Seal([]byte("Zoë Ångström"), []byte("INC-1"))
	require.NoError(t, err)
	// A second start reads the same key rather than making a new one.
	r2, err := Load(Source{DataDir: dir})
	require.NoError(t, err)
	plain, err := r2.Open(id, sealed, []byte("INC-1"))
	require.NoError(t, err)
	require.Equal(t, "Zoë Ångström", string(plain))
	_, err = r2.Open(id, sealed, []byte("INC-2"))
	require.Error(t, err, "the associated data binds a value to its place")
}

func TestMalformedKeysNameTheVariableAndNeverTheMaterial(t *testing.T) {
	secretish := b64(7)[:20]
	for name, in := range map[string]string{
		"empty list":   " , \n# only a comment\n",
		"no colon":     "k1" + b64(1),
		"short key":    "k1:" + secretish,
		"not base64":   "k1:!!!!",
		"bad id":       "k 1:" + b64(1),
		"duplicate id": "k1:" + b64(1) + ",k1:" + b64(2),
		"NUL":          "k1:" + b64(1) + "\x00",
	} {
		_, err := Load(Source{Inline: in, DataDir: t.TempDir()})
		require.Error(t, err, name)
		require.True(t, strings.HasPrefix(err.Error(), EnvKeys+": "), "%s: %v", name, err)
		require.NotContains(t, err.Error(), secretish, name)
		require.NotContains(t, err.Error(), "\n", "%s: one line", name)
	}
	f := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(f, []byte("k1:short\n"), 0o600))
	_, err := Load(Source{File: f})
	require.ErrorContains(t, err, EnvKeysFile)
	_, err = Load(Source{File: filepath.Join(t.TempDir(), "missing")})
	require.ErrorContains(t, err, EnvKeysFile)
}

func TestInlineKeysLastIsCurrent(t *testing.T) {
	r, err := Load(Source{Inline: "old:" + b64(1) + "\nnew:" + b64(2)})
	require.NoError(t, err)
	require.Equal(t, "new", r.Current())
	_, err = r.Rotate()
	require.ErrorContains(t, err, EnvKeys, "inline keys are rotated by the operator")
}

func TestRotateKeepsOldKeysReadable(t *testing.T) {
	dir := t.TempDir()
	r, err := Load(Source{DataDir: dir})
	require.NoError(t, err)
	old, sealed, err := r.Seal([]byte("a@example.invalid"), nil)
	require.NoError(t, err)
	id, err := r.Rotate()
	require.NoError(t, err)
	require.Equal(t, "k2", id)
	require.Equal(t, "k2", r.Current())

	r2, err := Load(Source{DataDir: dir})
	require.NoError(t, err)
	require.Equal(t, []string{"k1", "k2"}, r2.IDs())
	plain, err := r2.Open(old, sealed, nil)
	require.NoError(t, err)
	require.Equal(t, "a@example.invalid", string(plain))
	fi, err := os.Stat(filepath.Join(dir, DefaultFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestCodecSealsEveryPayloadAndReadsOldPlainOnes(t *testing.T) {
	r, err := Load(Source{Inline: "k1:" + b64(1)})
	require.NoError(t, err)
	dc := DataConverter(r)
	value := map[string]string{"name": "Иван Петров", "email": "ivan@example.invalid", "phone": "+44 20 7946 0000"}

	p, err := dc.ToPayload(value)
	require.NoError(t, err)
	require.Equal(t, EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
	require.Equal(t, "k1", string(p.Metadata[MetadataKeyID]))
	for _, v := range value {
		require.NotContains(t, string(p.Data), v)
	}
	plain, err := converter.GetDefaultDataConverter().ToPayload(value)
	require.NoError(t, err)
	overhead := size(p) - size(plain)
	t.Logf("payload: plain %d bytes, sealed %d bytes (+%d)", size(plain), size(p), overhead)
	require.Less(t, overhead, 100, "the codec adds a nonce, a tag, the encoding and the key ID, not more")

	var back map[string]string
	require.NoError(t, dc.FromPayload(p, &back))
	require.Equal(t, value, back)

	// Histories written before encryption still decode.
	var fromPlain map[string]string
	require.NoError(t, dc.FromPayload(plain, &fromPlain))
	require.Equal(t, value, fromPlain)

	// After a rotation the old payload still opens; new ones use the new key.
	r2, err := Load(Source{Inline: "k1:" + b64(1) + ",k2:" + b64(2)})
	require.NoError(t, err)
	dc2 := DataConverter(r2)
	back = nil
	require.NoError(t, dc2.FromPayload(p, &back))
	require.Equal(t, value, back)
	p2, err := dc2.ToPayload(value)
	require.NoError(t, err)
	require.Equal(t, "k2", string(p2.Metadata[MetadataKeyID]))

	// A payload from a key this ring lacks fails loudly, naming the key ID.
	err = dc.FromPayload(p2, &back)
	require.ErrorContains(t, err, `"k2"`)

	// A tampered payload is refused.
	bad := &commonpb.Payload{Metadata: p.Metadata, Data: append([]byte{}, p.Data...)}
	bad.Data[len(bad.Data)-1] ^= 1
	require.Error(t, dc.FromPayload(bad, &back))
}

func size(p *commonpb.Payload) int { return p.Size() }

// A replica against shared backends never makes a key of its own: another
// replica could not open what it seals. Given keys, or a key file made
// before, it starts; the refusal says what to set and never holds material.
func TestSharedReplicaNeedsKeysItDoesNotGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, err := Load(Source{DataDir: dir, Shared: true})
	require.ErrorIs(t, err, ErrSharedNeedsKeys)
	require.Contains(t, err.Error(), EnvKeys)
	_, statErr := os.Stat(filepath.Join(dir, DefaultFile))
	require.ErrorIs(t, statErr, os.ErrNotExist, "nothing is generated")

	r, err := Load(Source{Inline: "k1:" + b64(3), DataDir: dir, Shared: true})
	require.NoError(t, err)
	require.Equal(t, []string{"k1"}, r.IDs())

	// A single box that already generated its key keeps it when it moves to
	// shared backends (its data was sealed with it).
	first, err := Load(Source{DataDir: dir})
	require.NoError(t, err)
	again, err := Load(Source{DataDir: dir, Shared: true})
	require.NoError(t, err)
	id, sealed, err := first.Seal([]byte("x"), nil)
	require.NoError(t, err)
	_, err = again.Open(id, sealed, nil)
	require.NoError(t, err)
}
