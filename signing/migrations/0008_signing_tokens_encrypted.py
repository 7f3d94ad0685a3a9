"""Dokobit's signing and file tokens kept encrypted, the signing token with a keyed hash for
uniqueness and lookup (as the signer tokens already are).

Existing rows are encrypted in place; going back decrypts them into the plain columns again.
"""

from django.db import migrations, models

from portal.crypto import decrypt_text, encrypt_text, secret_lookup


def tokens_encrypt(apps, schema_editor):
    Signing = apps.get_model("signing", "Signing")
    rows = Signing.objects.exclude(dokobit_token__isnull=True, dokobit_file_token="")
    for signing in rows.only("pk", "dokobit_token", "dokobit_file_token").iterator():
        token, file_token = signing.dokobit_token or "", signing.dokobit_file_token or ""
        Signing.objects.filter(pk=signing.pk).update(
            dokobit_token_encrypted=encrypt_text(token) if token else "",
            dokobit_token_lookup=secret_lookup(token) if token else None,
            dokobit_file_token_encrypted=encrypt_text(file_token) if file_token else "",
        )


def tokens_decrypt(apps, schema_editor):
    Signing = apps.get_model("signing", "Signing")
    rows = Signing.objects.exclude(dokobit_token_encrypted="", dokobit_file_token_encrypted="")
    for signing in rows.only("pk", "dokobit_token_encrypted", "dokobit_file_token_encrypted").iterator():
        token, file_token = signing.dokobit_token_encrypted, signing.dokobit_file_token_encrypted
        Signing.objects.filter(pk=signing.pk).update(
            dokobit_token=decrypt_text(token) if token else None,
            dokobit_file_token=decrypt_text(file_token) if file_token else "",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("signing", "0007_purged_signer_link"),
    ]

    operations = [
        migrations.AddField(
            model_name="signing",
            name="dokobit_file_token_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="signing",
            name="dokobit_token_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="signing",
            name="dokobit_token_lookup",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(tokens_encrypt, tokens_decrypt),
        migrations.RemoveField(model_name="signing", name="dokobit_file_token"),
        migrations.RemoveField(model_name="signing", name="dokobit_token"),
    ]
