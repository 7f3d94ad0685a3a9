"""The identity session's gateway token kept encrypted, with a keyed hash for uniqueness and lookup.

Existing rows are encrypted in place; going back decrypts them into the plain column again.
"""

from django.db import migrations, models

from portal.crypto import decrypt_text, encrypt_text, secret_lookup


def tokens_encrypt(apps, schema_editor):
    IdentitySession = apps.get_model("identity", "IdentitySession")
    for session in IdentitySession.objects.exclude(token="").only("pk", "token").iterator():
        IdentitySession.objects.filter(pk=session.pk).update(
            token_encrypted=encrypt_text(session.token), token_lookup=secret_lookup(session.token)
        )


def tokens_decrypt(apps, schema_editor):
    IdentitySession = apps.get_model("identity", "IdentitySession")
    for session in IdentitySession.objects.exclude(token_encrypted="").only("pk", "token_encrypted").iterator():
        IdentitySession.objects.filter(pk=session.pk).update(token=decrypt_text(session.token_encrypted))


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0004_identitysession_return_secret"),
    ]

    operations = [
        migrations.AddField(
            model_name="identitysession",
            name="token_encrypted",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="identitysession",
            name="token_lookup",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        # Going back, the plain column is filled again before the new ones are dropped.
        migrations.AlterField(
            model_name="identitysession",
            name="token",
            field=models.CharField(blank=True, default="", max_length=128),
        ),
        migrations.RunPython(tokens_encrypt, tokens_decrypt),
        migrations.RemoveField(model_name="identitysession", name="token"),
        migrations.AlterField(
            model_name="identitysession",
            name="token_lookup",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
