"""The Distributed Key Manager: every secret in the store is held this way.

    passphrase (Argon2id) or master.key (0600)
        -> master key                      never stored in clear
            -> key versions 1..N           keyring.json, each sealed by the master key
                -> one data key per secret  wrapped by a key version (AES-256-GCM)
                    -> the secret           sealed by its data key (AES-256-GCM)

Associated data binds each layer to what it belongs to and to the key version, and
every ciphertext names its version. Only the service accounts of the DKM security group
use keys; a person reaches key material only through an approved, time-bound elevation.
"""
