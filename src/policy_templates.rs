//! Bundled session policies for federated users, from `assets/policies/`: the common ways of
//! sharing part of S3 without writing IAM JSON by hand.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    ReadOnlyBucket,
    ReadOnlyPrefix,
    ListOnly,
}

impl Template {
    pub const ALL: [Template; 3] = [Template::ReadOnlyBucket, Template::ReadOnlyPrefix, Template::ListOnly];

    pub fn label(self) -> &'static str {
        match self {
            Template::ReadOnlyBucket => "read-only on one bucket",
            Template::ReadOnlyPrefix => "read-only on one prefix",
            Template::ListOnly => "list-only",
        }
    }

    pub fn needs_prefix(self) -> bool {
        self == Template::ReadOnlyPrefix
    }

    fn text(self) -> &'static str {
        match self {
            Template::ReadOnlyBucket => include_str!("../assets/policies/read-only-bucket.json"),
            Template::ReadOnlyPrefix => include_str!("../assets/policies/read-only-prefix.json"),
            Template::ListOnly => include_str!("../assets/policies/list-only.json"),
        }
    }

    /// The policy for `bucket` (and `prefix`), with the values JSON-escaped into place.
    pub fn render(self, bucket: &str, prefix: &str) -> String {
        let escape = |v: &str| {
            let quoted = serde_json::Value::String(v.to_string()).to_string();
            quoted[1..quoted.len() - 1].to_string()
        };
        self.text().replace("{{bucket}}", &escape(bucket)).replace("{{prefix}}", &escape(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_to_a_valid_policy_within_the_sts_limit() {
        for template in Template::ALL {
            let text = template.render("demo-data", "reports/2024/");
            let policy =
                crate::validate::inline_policy("t", "policy", &text).unwrap_or_else(|e| panic!("{template:?}: {e}"));
            assert!(policy.contains("arn:aws:s3:::demo-data"), "{policy}");
            assert!(!policy.contains("{{"), "every placeholder is filled: {policy}");
        }
        let prefix = Template::ReadOnlyPrefix.render("b", "a\"b/");
        assert!(crate::validate::inline_policy("t", "policy", &prefix).is_ok(), "quotes are escaped: {prefix}");
    }
}
