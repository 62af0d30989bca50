"""CSV imports: streamed upload, header mapping, and the chunked, resumable import job."""
