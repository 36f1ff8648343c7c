//! Zoho's file store (`/crm/v8/files`): the files uploaded for file-upload and image-upload
//! fields, kept by id and downloaded back.

use std::collections::BTreeMap;

use serde_json::json;

use crate::org::{Org, Routed};
use crate::util::{api_error, invalid_method, required_param, success_obj, Request, Response};

/// Files per upload call (Zoho's limit).
const MAX_FILES: usize = 10;

/// The uploaded files, by id.
#[derive(Debug, Default)]
pub(crate) struct FileStore {
    files: BTreeMap<String, StoredFile>,
    next: u64,
}

#[derive(Debug)]
struct StoredFile {
    name: String,
    content_type: String,
    bytes: Vec<u8>,
}

impl Org {
    /// `POST /files` (multipart `file` parts) and `GET /files?id=`.
    pub(crate) fn route_files(&mut self, req: &Request) -> Routed {
        match req.method.as_str() {
            "POST" => Routed::Handled(self.files.upload(req)),
            "GET" => Routed::Handled(self.files.download(req)),
            _ => Routed::Rejected(invalid_method()),
        }
    }
}

impl FileStore {
    fn upload(&mut self, req: &Request) -> Response {
        let parts: Vec<_> = crate::multipart::of_request(req)
            .into_iter()
            .filter(|p| p.name == "file")
            .collect();
        if parts.is_empty() {
            return required_param("file");
        }
        if parts.len() > MAX_FILES {
            return api_error(
                400,
                "LIMIT_EXCEEDED",
                "the number of files exceeds the limit",
                json!({"limit": MAX_FILES}),
            );
        }
        if parts
            .iter()
            .any(|p| p.body.len() > crate::multipart::MAX_FILE)
        {
            return crate::multipart::file_too_large();
        }
        let mut data = Vec::new();
        for part in parts {
            self.next += 1;
            // Zoho's file ids are long hexadecimal strings.
            let id = format!("{:064x}", 0x2cce_afa0_u64 + self.next);
            let name = part.file_name.unwrap_or_else(|| "file".into());
            data.push(success_obj(
                "file uploaded.",
                json!({"name": name, "id": id}),
            ));
            self.files.insert(
                id,
                StoredFile {
                    name,
                    content_type: part
                        .content_type
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    bytes: part.body,
                },
            );
        }
        Response::json(200, &json!({ "data": data }))
    }

    fn download(&self, req: &Request) -> Response {
        let Some(id) = req.param("id") else {
            return required_param("id");
        };
        match self.files.get(id) {
            Some(f) => Response::file(&f.name, &f.content_type, f.bytes.clone()),
            None => api_error(
                400,
                "INVALID_DATA",
                "the given file id is invalid",
                json!({"api_name": "id"}),
            ),
        }
    }
}
