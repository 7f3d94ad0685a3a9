from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0003_staff_second_factor"),
    ]

    operations = [
        migrations.AddField(
            model_name="identitysession",
            name="return_secret",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
    ]
