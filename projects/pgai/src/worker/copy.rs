//! PostgreSQL's binary `COPY` format for the target table's rows: the key columns (their
//! binary values exactly as the claim query returned them, whatever their type), `chunk_seq`
//! (int4), `chunk` (text) and `embedding` (pgvector's binary `vector`: int2 dimensions,
//! int2 unused, then big-endian float4s).

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// A reusable buffer of binary COPY data.
#[derive(Debug, Default)]
pub struct CopyWriter {
    buf: Vec<u8>,
}

impl CopyWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new COPY stream: clears the buffer (keeping its memory) and writes the header.
    pub fn begin(&mut self) {
        self.buf.clear();
        self.buf.extend_from_slice(SIGNATURE);
        self.buf.extend_from_slice(&0i32.to_be_bytes()); // flags
        self.buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    }

    /// Appends one row. `key` is the key columns already encoded as fields ([`encode_field`]),
    /// `key_columns` how many there are.
    pub fn row(&mut self, key: &[u8], key_columns: usize, chunk_seq: i32, chunk: &str, embedding: &[f32]) {
        let fields = i16::try_from(key_columns + 3).expect("fewer than 32k key columns");
        let vector_len = 4 + 4 * embedding.len();
        self.buf.reserve(2 + key.len() + 8 + 4 + chunk.len() + 4 + vector_len);
        self.buf.extend_from_slice(&fields.to_be_bytes());
        self.buf.extend_from_slice(key);
        self.buf.extend_from_slice(&4i32.to_be_bytes());
        self.buf.extend_from_slice(&chunk_seq.to_be_bytes());
        encode_field(&mut self.buf, Some(chunk.as_bytes()));
        self.buf.extend_from_slice(&(vector_len as i32).to_be_bytes());
        self.buf.extend_from_slice(&(embedding.len() as i16).to_be_bytes());
        self.buf.extend_from_slice(&0i16.to_be_bytes());
        for x in embedding {
            self.buf.extend_from_slice(&x.to_be_bytes());
        }
    }

    /// Appends a row of the key columns only (a queue row: `queued_at` takes its default).
    pub fn key_row(&mut self, key: &[u8], key_columns: usize) {
        let fields = i16::try_from(key_columns).expect("fewer than 32k key columns");
        self.buf.extend_from_slice(&fields.to_be_bytes());
        self.buf.extend_from_slice(key);
    }

    /// Writes the trailer; the stream is complete.
    pub fn end(&mut self) {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The bytes written since the last [`take_pending`](Self::take_pending) or
    /// [`begin`](Self::begin), for streaming a large COPY in pieces.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Forgets the bytes already sent, keeping the memory.
    pub fn take_pending(&mut self) {
        self.buf.clear();
    }
}

/// Appends one binary COPY field: its length (-1 for NULL) and bytes.
pub fn encode_field(buf: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        Some(v) => {
            buf.extend_from_slice(&(v.len() as i32).to_be_bytes());
            buf.extend_from_slice(v);
        }
        None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_header_rows_and_trailer() {
        let mut key = Vec::new();
        encode_field(&mut key, Some(&7i32.to_be_bytes()));
        let mut w = CopyWriter::new();
        w.begin();
        w.row(&key, 1, 2, "hé", &[1.0, -0.5]);
        w.end();
        let mut expected = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
        expected.extend_from_slice(&[0, 4]); // 4 fields
        expected.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 7]); // key
        expected.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 2]); // chunk_seq
        expected.extend_from_slice(&[0, 0, 0, 3, b'h', 0xc3, 0xa9]); // chunk
        expected.extend_from_slice(&[0, 0, 0, 12, 0, 2, 0, 0]); // vector header
        expected.extend_from_slice(&1.0f32.to_be_bytes());
        expected.extend_from_slice(&(-0.5f32).to_be_bytes());
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(w.as_bytes(), &expected[..]);
        w.begin();
        assert_eq!(w.len(), 19);
    }

    #[test]
    fn null_fields() {
        let mut buf = Vec::new();
        encode_field(&mut buf, None);
        assert_eq!(buf, [0xff; 4]);
    }
}
