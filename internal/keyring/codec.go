package keyring

import (
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Payload metadata of an encrypted payload.
const (
	// EncodingEncrypted is the "encoding" of a payload the codec sealed.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the ring key that sealed the payload.
	MetadataKeyID = "encryption-key-id"
)

// payloadAAD binds a sealed payload to this codec's format.
var payloadAAD = []byte("irbot.payload.v1")

// Codec is a Temporal PayloadCodec that seals every payload with the ring's
// current key (AES-256-GCM), keeping the key ID in the payload's metadata so
// keys can rotate. Payloads without the encrypted encoding (histories
// written before encryption) decode unchanged. It runs in the client and the
// worker, outside workflow code.
type Codec struct{ Ring *Ring }

var _ converter.PayloadCodec = Codec{}

// Encode seals each payload (its data and metadata, marshalled) into a new
// payload; about 40 bytes are added to each.
func (c Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("payload codec: %w", err)
		}
		id, sealed, err := c.Ring.Seal(plain, payloadAAD)
		if err != nil {
			return nil, fmt.Errorf("payload codec: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:              []byte(id),
			},
			Data: sealed,
		}
	}
	return out, nil
}

// Decode opens sealed payloads with the key they name; others pass through.
func (c Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		plain, err := c.Ring.Open(string(p.GetMetadata()[MetadataKeyID]), p.GetData(), payloadAAD)
		if err != nil {
			return nil, fmt.Errorf("payload codec: %w", err)
		}
		var q commonpb.Payload
		if err := proto.Unmarshal(plain, &q); err != nil {
			return nil, fmt.Errorf("payload codec: %w", err)
		}
		out[i] = &q
	}
	return out, nil
}

// DataConverter is the SDK's default converter with the codec: what the
// client and the worker use.
func DataConverter(r *Ring) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), Codec{Ring: r})
}
